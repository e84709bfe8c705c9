using System.Buffers.Text;

namespace BatchFunctions.Benchmarks;

/// <summary>
/// Writes a merge workload: inputs split into parts of 100,000 requests, and for each part an output
/// file of chat-completion results in a shuffled order, so that the merger must really reorder.
/// </summary>
internal static class SampleResults
{
    private const int PartSize = 100_000;

    public static async Task WriteAsync(string prefix, long lines)
    {
        var buffer = new byte[8192];
        for (long start = 0, part = 0; start < lines; start += PartSize, part++)
        {
            var count = (int)Math.Min(PartSize, lines - start);
            await using (var input = new FileStream($"{prefix}-input-{part:D4}.jsonl", FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                for (var i = 0; i < count; i++)
                {
                    var length = SampleInput.Line(buffer, start + i);
                    await input.WriteAsync(buffer.AsMemory(0, length));
                }
            }

            var order = Enumerable.Range(0, count).ToArray();
            new Random((int)part).Shuffle(order);
            await using var output = new FileStream($"{prefix}-output-{part:D4}.jsonl", FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            foreach (var i in order)
            {
                var length = ResultLine(buffer, start + i);
                await output.WriteAsync(buffer.AsMemory(0, length));
            }
        }
    }

    private static int ResultLine(Span<byte> span, long index)
    {
        var at = 0;
        Append(ref at, span, "{\"id\":\"batch-5e1f09aa-"u8);
        Utf8Formatter.TryFormat(index + 1, span[at..], out var written);
        at += written;
        Append(ref at, span, "-3c2d7b10-8e44-4f0b-a1d2-9f6e5c4b3a21\",\"custom_id\":\"req-"u8);
        Utf8Formatter.TryFormat(index, span[at..], out written, new System.Buffers.StandardFormat('D', 9));
        at += written;
        Append(ref at, span, "\",\"response\":{\"status_code\":200,\"body\":{\"id\":\"7f3a9c0e2b1d4e5f8a6b7c8d9e0f1a2b\",\"object\":\"chat.completion\",\"model\":\"mistral-small-latest\",\"created\":1767225600,\"usage\":{\"prompt_tokens\":42,\"completion_tokens\":58,\"total_tokens\":100},\"choices\":[{\"index\":0,\"finish_reason\":\"stop\",\"message\":{\"role\":\"assistant\",\"content\":\"The answer, as the line asked, is brief: the café prices were checked twice and the tests passed; numbers such as 42 and 3.14 were quoted exactly, and nothing else was needed for this request.\",\"tool_calls\":null}}]}},\"error\":null}\n"u8);
        return at;
    }

    private static void Append(ref int at, Span<byte> span, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span[at..]);
        at += bytes.Length;
    }
}
