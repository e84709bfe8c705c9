using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// Sorts lines by a numeric key within a fixed memory budget: lines are gathered in one arena, sorted and
/// spilled to temporary files as runs when it fills, then merged. Equal keys keep their arrival order.
/// The arena comes from a pool, so that part after part (and merge after merge) reuses the same memory.
/// A line the caller knows nothing still to come can precede goes straight to the destination, when it
/// also precedes every line held: lines that arrive in order are written as they come, never held.
/// </summary>
internal sealed class ExternalLineSorter(string temporaryDirectory, int bufferBytes) : IAsyncDisposable
{
    private const int RecordHeaderBytes = 20;
    private const int RunBufferBytes = 64 * 1024;
    private const int MaxPooledEntries = 1 << 20;

    // Arenas come from a pool of their own that keeps two of each size: the shared pool keeps one per thread,
    // so merges run by collects on different threads would each leave 8 MiB arenas behind.
    private static readonly ArrayPool<byte> Arenas = ArrayPool<byte>.Create(64 * 1024 * 1024, 2);

    // Entry lists are kept between sorters for the same reason (a 100k-line part grows one to 3 MiB, a
    // large-object allocation each time it doubles); two are kept, one per sorter of a merge.
    private static readonly ConcurrentBag<List<Entry>> EntryLists = [];

    private readonly List<Entry> _entries = EntryLists.TryTake(out var pooled) ? pooled : [];
    private readonly List<FileStream> _runs = [];

    // Rented at the first line: a sorter that gets none (the failures of a batch without any) takes no arena.
    private byte[] _arena = [];
    private bool _arenaRented;
    private bool _entriesReturned;
    private int _used;
    private long _sequence;
    private long _minHeld = long.MaxValue;
    private LineBuffer? _through;

    /// <summary>
    /// Writes the line to <paramref name="destination"/> at once when <paramref name="isNext"/> (the caller
    /// knows that no line still to come sorts before it) and it sorts before every line held; holds it
    /// otherwise. What is written at once comes first in <see cref="WriteToAsync"/>'s output, which must be
    /// to the same destination.
    /// </summary>
    public ValueTask AddAsync(long key, ReadOnlyMemory<byte> line, bool isNext, Stream destination, CancellationToken cancellationToken)
    {
        if (isNext && key < _minHeld)
        {
            _through ??= new LineBuffer(destination);
            return _through.WriteLineAsync(line, cancellationToken);
        }

        return AddAsync(key, line, cancellationToken);
    }

    public ValueTask AddAsync(long key, ReadOnlyMemory<byte> line, CancellationToken cancellationToken)
    {
        _minHeld = Math.Min(_minHeld, key);
        if (_arena.Length == 0)
        {
            _arena = Arenas.Rent(bufferBytes);
            _arenaRented = true;
        }

        if (_used + line.Length > _arena.Length)
        {
            Spill(cancellationToken);
            if (line.Length > _arena.Length)
            {
                // A single line larger than the whole budget: give it an arena of its own.
                ReturnArena();
                _arena = new byte[line.Length];
            }
        }

        line.CopyTo(_arena.AsMemory(_used));
        _entries.Add(new Entry(key, _sequence++, _used, line.Length));
        _used += line.Length;
        return ValueTask.CompletedTask;
    }

    /// <summary>Writes every line, each followed by a newline, in key order.</summary>
    public async Task WriteToAsync(Stream destination, CancellationToken cancellationToken)
    {
        // Lines go out in 64 KiB writes: a write per line (and a one-byte one per newline) costs the
        // destination, a blob upload stream, an async call and its garbage each time, for a million lines.
        var output = _through ?? new LineBuffer(destination);
        _through = null;
        if (!ReferenceEquals(output.Destination, destination))
        {
            output.Dispose();
            throw new InvalidOperationException("The lines written at once went to another destination.");
        }

        try
        {
            await WriteSortedAsync(output, cancellationToken);
            await output.FlushAsync(cancellationToken);
        }
        finally
        {
            output.Dispose();
        }
    }

    private async Task WriteSortedAsync(LineBuffer destination, CancellationToken cancellationToken)
    {
        if (_runs.Count == 0)
        {
            _entries.Sort();
            foreach (var entry in _entries)
            {
                await destination.WriteLineAsync(_arena.AsMemory(entry.Offset, entry.Length), cancellationToken);
            }

            return;
        }

        Spill(cancellationToken);
        var readers = new List<RunReader>();
        try
        {
            var queue = new PriorityQueue<RunReader, (long Key, long Sequence)>();
            foreach (var run in _runs)
            {
                run.Position = 0;
                var reader = new RunReader(run);
                readers.Add(reader);
                if (reader.MoveNext())
                {
                    queue.Enqueue(reader, (reader.Key, reader.Sequence));
                }
            }

            while (queue.TryDequeue(out var reader, out _))
            {
                await destination.WriteLineAsync(reader.Line, cancellationToken);
                if (reader.MoveNext())
                {
                    queue.Enqueue(reader, (reader.Key, reader.Sequence));
                }
            }
        }
        finally
        {
            foreach (var reader in readers)
            {
                reader.Dispose();
            }
        }
    }

    /// <summary>Empties the sorter for the next part, keeping its arena: one arena for a whole merge, not one per part.</summary>
    public async ValueTask ResetAsync()
    {
        foreach (var run in _runs)
        {
            await run.DisposeAsync();
        }

        _runs.Clear();
        _entries.Clear();
        _used = 0;
        _minHeld = long.MaxValue;
        _through?.Dispose();
        _through = null;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var run in _runs)
        {
            await run.DisposeAsync();
        }

        _runs.Clear();
        _through?.Dispose();
        _through = null;
        ReturnArena();
        ReturnEntries();
    }

    private void ReturnEntries()
    {
        // Once only (another sorter may hold the list by a second dispose), and not after a part of millions of lines.
        if (!_entriesReturned && _entries.Capacity > 0 && _entries.Capacity <= MaxPooledEntries && EntryLists.Count < 2)
        {
            _entries.Clear();
            EntryLists.Add(_entries);
        }

        _entriesReturned = true;
    }

    private void ReturnArena()
    {
        if (_arenaRented)
        {
            Arenas.Return(_arena);
            _arenaRented = false;
        }
    }

    /// <summary>
    /// Writes the arena, sorted, as one run. Runs are local temporary files, written and read synchronously
    /// through one pooled buffer: an awaited write per line (two, with its header) cost more than the sort.
    /// </summary>
    private void Spill(CancellationToken cancellationToken)
    {
        if (_entries.Count == 0)
        {
            return;
        }

        _entries.Sort();
        var run = new FileStream(
            Path.Combine(temporaryDirectory, $"bf-sort-{Guid.NewGuid():N}.run"),
            FileMode.CreateNew,
            FileAccess.ReadWrite,
            FileShare.None,
            bufferSize: 0,
            FileOptions.DeleteOnClose);
        _runs.Add(run);
        var buffer = ArrayPool<byte>.Shared.Rent(RunBufferBytes);
        try
        {
            var used = 0;
            foreach (var entry in _entries)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (used + RecordHeaderBytes > buffer.Length)
                {
                    run.Write(buffer, 0, used);
                    used = 0;
                }

                BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(used), entry.Key);
                BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(used + 8), entry.Sequence);
                BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(used + 16), entry.Length);
                used += RecordHeaderBytes;
                var line = _arena.AsSpan(entry.Offset, entry.Length);
                if (used + line.Length > buffer.Length)
                {
                    // A line longer than what is left of the buffer goes out as it is, after what is gathered.
                    run.Write(buffer, 0, used);
                    used = 0;
                    if (line.Length > buffer.Length)
                    {
                        run.Write(line);
                        continue;
                    }
                }

                line.CopyTo(buffer.AsSpan(used));
                used += line.Length;
            }

            run.Write(buffer, 0, used);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        _entries.Clear();
        _used = 0;
    }

    private readonly record struct Entry(long Key, long Sequence, int Offset, int Length) : IComparable<Entry>
    {
        public int CompareTo(Entry other)
        {
            var byKey = Key.CompareTo(other.Key);
            return byKey != 0 ? byKey : Sequence.CompareTo(other.Sequence);
        }
    }

    /// <summary>Gathers lines, each with its newline, into a pooled buffer written out when full.</summary>
    private sealed class LineBuffer(Stream destination) : IDisposable
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        private int _used;

        public Stream Destination => destination;

        public async ValueTask WriteLineAsync(ReadOnlyMemory<byte> line, CancellationToken cancellationToken)
        {
            if (_used + line.Length + 1 > _buffer.Length)
            {
                await FlushAsync(cancellationToken);
                if (line.Length + 1 > _buffer.Length)
                {
                    await destination.WriteAsync(line, cancellationToken);
                    _buffer[0] = (byte)'\n';
                    _used = 1;
                    return;
                }
            }

            line.Span.CopyTo(_buffer.AsSpan(_used));
            _used += line.Length;
            _buffer[_used++] = (byte)'\n';
        }

        public async ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            if (_used > 0)
            {
                await destination.WriteAsync(_buffer.AsMemory(0, _used), cancellationToken);
                _used = 0;
            }
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }
    }

    /// <summary>
    /// Reads one spilled run back, record by record, through a small pooled buffer (runs are merged many at a
    /// time, so each gets 16 KiB, not the 64 KiB they were written with); a record longer than the buffer is
    /// read into a line buffer of its own.
    /// </summary>
    private sealed class RunReader(Stream stream) : IDisposable
    {
        private const int BufferBytes = 16 * 1024;

        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(BufferBytes);
        private byte[] _long = [];
        private int _start;
        private int _end;

        public long Key { get; private set; }

        public long Sequence { get; private set; }

        public ReadOnlyMemory<byte> Line { get; private set; }

        public bool MoveNext()
        {
            if (!Fill(RecordHeaderBytes))
            {
                if (_end > _start)
                {
                    throw new InvalidDataException("A sort run ends inside a record header.");
                }

                return false;
            }

            Key = BinaryPrimitives.ReadInt64LittleEndian(_buffer.AsSpan(_start));
            Sequence = BinaryPrimitives.ReadInt64LittleEndian(_buffer.AsSpan(_start + 8));
            var length = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(_start + 16));
            _start += RecordHeaderBytes;
            if (length <= _buffer.Length)
            {
                if (!Fill(length))
                {
                    throw new InvalidDataException("A sort run ends inside a line.");
                }

                Line = _buffer.AsMemory(_start, length);
                _start += length;
                return true;
            }

            if (_long.Length < length)
            {
                _long = new byte[length];
            }

            // What the buffer holds of the line, then the rest straight from the file.
            var held = _end - _start;
            _buffer.AsSpan(_start, held).CopyTo(_long);
            stream.ReadExactly(_long, held, length - held);
            _start = _end = 0;
            Line = _long.AsMemory(0, length);
            return true;
        }

        public void Dispose()
        {
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = [];
        }

        /// <summary>Makes <paramref name="count"/> bytes (at most the buffer's length) available from <c>_start</c>; false at the end of the run.</summary>
        private bool Fill(int count)
        {
            if (_end - _start >= count)
            {
                return true;
            }

            // Move what is left to the front, then read until enough is there or the file ends.
            var left = _end - _start;
            _buffer.AsSpan(_start, left).CopyTo(_buffer);
            _start = 0;
            _end = left;
            while (_end < count)
            {
                var read = stream.Read(_buffer, _end, _buffer.Length - _end);
                if (read == 0)
                {
                    return false;
                }

                _end += read;
            }

            return true;
        }
    }
}
