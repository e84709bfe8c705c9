using System.Buffers;
using System.Buffers.Binary;

namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// Sorts lines by a numeric key within a fixed memory budget: lines are gathered in one arena, sorted and
/// spilled to temporary files as runs when it fills, then merged. Equal keys keep their arrival order.
/// The arena comes from the shared pool, so that part after part reuses the same memory.
/// </summary>
internal sealed class ExternalLineSorter(string temporaryDirectory, int bufferBytes) : IAsyncDisposable
{
    private readonly List<Entry> _entries = [];
    private readonly List<FileStream> _runs = [];
    private byte[] _arena = ArrayPool<byte>.Shared.Rent(bufferBytes);
    private bool _arenaRented = true;
    private int _used;
    private long _sequence;

    public long Count { get; private set; }

    public async ValueTask AddAsync(long key, ReadOnlyMemory<byte> line, CancellationToken cancellationToken)
    {
        if (_used + line.Length > _arena.Length)
        {
            await SpillAsync(cancellationToken);
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
        Count++;
    }

    /// <summary>Writes every line, each followed by a newline, in key order.</summary>
    public async Task WriteToAsync(Stream destination, CancellationToken cancellationToken)
    {
        // Lines go out in 64 KiB writes: a write per line (and a one-byte one per newline) costs the
        // destination, a blob upload stream, an async call and its garbage each time, for a million lines.
        var output = new LineBuffer(destination);
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

        await SpillAsync(cancellationToken);
        var readers = new List<RunReader>();
        foreach (var run in _runs)
        {
            run.Position = 0;
            // The run's own 64 KiB buffer serves the reads too: no larger buffer per run, which would be
            // garbage on the large object heap part after part.
            readers.Add(new RunReader(run));
        }

        var queue = new PriorityQueue<RunReader, (long Key, long Sequence)>();
        foreach (var reader in readers)
        {
            if (await reader.MoveNextAsync(cancellationToken))
            {
                queue.Enqueue(reader, (reader.Key, reader.Sequence));
            }
        }

        while (queue.TryDequeue(out var reader, out _))
        {
            await destination.WriteLineAsync(reader.Line, cancellationToken);
            if (await reader.MoveNextAsync(cancellationToken))
            {
                queue.Enqueue(reader, (reader.Key, reader.Sequence));
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
        Count = 0;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var run in _runs)
        {
            await run.DisposeAsync();
        }

        _runs.Clear();
        ReturnArena();
    }

    private void ReturnArena()
    {
        if (_arenaRented)
        {
            ArrayPool<byte>.Shared.Return(_arena);
            _arenaRented = false;
        }
    }

    private async Task SpillAsync(CancellationToken cancellationToken)
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
            64 * 1024,
            FileOptions.DeleteOnClose | FileOptions.Asynchronous);
        _runs.Add(run);
        var header = new byte[20];
        foreach (var entry in _entries)
        {
            BinaryPrimitives.WriteInt64LittleEndian(header, entry.Key);
            BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(8), entry.Sequence);
            BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), entry.Length);
            await run.WriteAsync(header, cancellationToken);
            await run.WriteAsync(_arena.AsMemory(entry.Offset, entry.Length), cancellationToken);
        }

        await run.FlushAsync(cancellationToken);
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

    /// <summary>Reads one spilled run back, record by record.</summary>
    private sealed class RunReader(Stream stream)
    {
        private readonly byte[] _header = new byte[20];
        private byte[] _line = new byte[4096];

        public long Key { get; private set; }

        public long Sequence { get; private set; }

        public ReadOnlyMemory<byte> Line { get; private set; }

        public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken)
        {
            var read = await stream.ReadAtLeastAsync(_header, _header.Length, throwOnEndOfStream: false, cancellationToken);
            if (read == 0)
            {
                return false;
            }

            Key = BinaryPrimitives.ReadInt64LittleEndian(_header);
            Sequence = BinaryPrimitives.ReadInt64LittleEndian(_header.AsSpan(8));
            var length = BinaryPrimitives.ReadInt32LittleEndian(_header.AsSpan(16));
            if (_line.Length < length)
            {
                _line = new byte[Math.Max(length, _line.Length * 2)];
            }

            await stream.ReadExactlyAsync(_line.AsMemory(0, length), cancellationToken);
            Line = _line.AsMemory(0, length);
            return true;
        }
    }
}
