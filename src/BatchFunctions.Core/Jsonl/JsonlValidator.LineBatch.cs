using System.Buffers;

namespace BatchFunctions.Core.Jsonl;

/// <summary>The validator's batches of whole lines.</summary>
public static partial class JsonlValidator
{
    /// <summary>
    /// A run of whole lines as read from the input (and, first, a line too long to have been kept, if one
    /// came before them); the check finds the lines in it and what is wrong with each.
    /// </summary>
    private sealed class LineBatch : IDisposable
    {
        private const int DefaultBytes = 1024 * 1024;

        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(DefaultBytes);
        private LineEntry[] _lines = new LineEntry[1024];

        /// <summary>Whether the input's first line is the first here (only it may start with a byte order mark).</summary>
        public bool HoldsFirstLine { get; set; }

        /// <summary>Bytes of whole lines at the buffer's start (at the input's end, the last line's too).</summary>
        public int Used { get; set; }

        /// <summary>Bytes, line ending included, of a line too long to keep that comes before the others; 0 when none does.</summary>
        public long LeadingTooLong { get; set; }

        public bool LeadingTooLongEndsWithNewline { get; set; }

        /// <summary>Lines found by the check, each numbered from 1 within the batch.</summary>
        public int Count { get; private set; }

        public int Capacity => _buffer.Length;

        public List<JsonlIssue> Errors { get; } = [];

        public List<JsonlIssue> Warnings { get; } = [];

        public ref LineEntry this[int index] => ref _lines[index];

        public ReadOnlySpan<byte> Line(in LineEntry entry) => _buffer.AsSpan(entry.Start, entry.Length);

        public Memory<byte> Free(int filled) => _buffer.AsMemory(filled);

        public ReadOnlySpan<byte> Bytes(int start, int length) => _buffer.AsSpan(start, length);

        /// <summary>Starts this batch with <paramref name="length"/> bytes of <paramref name="source"/> (the unfinished line it ends with).</summary>
        public void CarryFrom(LineBatch source, int start, int length)
        {
            if (length > _buffer.Length)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(length);
            }

            Buffer.BlockCopy(source._buffer, start, _buffer, 0, length);
        }

        /// <summary>Doubles the buffer, up to <paramref name="most"/> bytes, keeping what it holds.</summary>
        public void Grow(int most)
        {
            var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(_buffer.Length * 2L, most));
            Buffer.BlockCopy(_buffer, 0, larger, 0, _buffer.Length);
            ArrayPool<byte>.Shared.Return(_buffer);
            _buffer = larger;
        }

        /// <summary>Records the next line found; its number within the batch is its index plus one.</summary>
        public ref LineEntry AddLine()
        {
            if (Count == _lines.Length)
            {
                Array.Resize(ref _lines, _lines.Length * 2);
            }

            _lines[Count] = new LineEntry { Number = Count + 1, DuplicateAt = -1 };
            return ref _lines[Count++];
        }

        /// <summary>Empties the batch for reuse; a buffer grown for a long line goes back to the pool.</summary>
        public void Reset()
        {
            if (_buffer.Length > DefaultBytes * 2)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = ArrayPool<byte>.Shared.Rent(DefaultBytes);
            }

            HoldsFirstLine = false;
            Used = 0;
            LeadingTooLong = 0;
            LeadingTooLongEndsWithNewline = false;
            Count = 0;
            Errors.Clear();
            Warnings.Clear();
        }

        public void Dispose()
        {
            if (_buffer.Length > 0)
            {
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = [];
            }
        }
    }
}
