using System.Buffers.Text;

namespace BatchFunctions.Benchmarks;

/// <summary>
/// Writes a realistic chat-completions JSONL input of a given size: a system prompt, a user question
/// of varying length, some escapes and non-ASCII text, so that parsing costs what real inputs cost.
/// </summary>
internal static class SampleInput
{
    private static readonly byte[][] Words =
    [
        .. "the batch of requests arrives in storage and each line asks the model a question about café prices naïve tests and \\\"quoted\\\" words while numbers like 42 and 3.14 appear"
            .Split(' ')
            .Select(System.Text.Encoding.UTF8.GetBytes),
    ];

    public static async Task<long> WriteAsync(string path, long targetBytes, CancellationToken cancellationToken = default)
    {
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true);
        var line = new byte[4096];
        long written = 0;
        long index = 0;
        while (written < targetBytes)
        {
            var length = Line(line, index++);
            await file.WriteAsync(line.AsMemory(0, length), cancellationToken);
            written += length;
        }

        return index;
    }

    public static int Line(Span<byte> buffer, long index)
    {
        var span = buffer;
        var at = 0;
        Append(ref at, span, "{\"custom_id\":\"req-"u8);
        Utf8Formatter.TryFormat(index, span[at..], out var digits, new System.Buffers.StandardFormat('D', 9));
        at += digits;
        Append(ref at, span, "\",\"body\":{\"model\":\"mistral-small-latest\",\"max_tokens\":256,\"temperature\":0.2,\"messages\":[{\"role\":\"system\",\"content\":\"You are a careful assistant. Answer briefly and cite the line you used.\"},{\"role\":\"user\",\"content\":\""u8);
        // 150 to 300 words: about 1.6 KB a line, so a 1 GB input stays under the 1,000,000-request limit.
        var words = 150 + (int)(index * 7919 % 150);
        for (var i = 0; i < words; i++)
        {
            if (i > 0)
            {
                span[at++] = (byte)' ';
            }

            Append(ref at, span, Words[(int)((index + (i * 31)) % Words.Length)]);
        }

        Append(ref at, span, "\"}]}}\n"u8);
        return at;
    }

    private static void Append(ref int at, Span<byte> span, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[at..]);
        at += bytes.Length;
    }
}
