using System.Buffers;
using System.Buffers.Binary;

namespace BatchFunctions.Core.Jsonl;

/// <summary>The file validation writes beside an input: one 8-byte little-endian custom_id hash per request, in input order (0: no readable id).</summary>
internal static class CustomIdHashes
{
    /// <summary>Reads every hash of <paramref name="stream"/> in order, giving each to <paramref name="each"/>.</summary>
    public static async Task ReadAsync(Stream stream, Action<ulong> each, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            var filled = 0;
            int read;
            while ((read = await stream.ReadAsync(buffer.AsMemory(filled), cancellationToken)) > 0)
            {
                filled += read;
                var whole = filled - (filled % sizeof(ulong));
                for (var at = 0; at < whole; at += sizeof(ulong))
                {
                    each(BinaryPrimitives.ReadUInt64LittleEndian(buffer.AsSpan(at)));
                }

                buffer.AsSpan(whole, filled - whole).CopyTo(buffer);
                filled -= whole;
            }

            if (filled != 0)
            {
                throw new InvalidDataException("The custom_id hashes end in the middle of a hash.");
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
