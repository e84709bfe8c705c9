using System.Text;

namespace BatchFunctions.Core.Tests.Mistral;

/// <summary>Builds small JSONL inputs for tests.</summary>
public static class Jsonl
{
    public static string ChatLine(string customId, string prompt) =>
        $$$"""{"custom_id":"{{{customId}}}","body":{"messages":[{"role":"user","content":"{{{prompt}}}"}]}}""";

    public static MemoryStream Chat(int count, int firstInvalidEvery = 0)
    {
        var builder = new StringBuilder();
        for (var i = 1; i <= count; i++)
        {
            builder.Append(firstInvalidEvery > 0 && i % firstInvalidEvery == 0
                ? $$$"""{"custom_id":"r{{{i}}}","body":{"messages":[]}}"""
                : ChatLine($"r{i}", $"question number {i}"));
            builder.Append('\n');
        }

        return new MemoryStream(Encoding.UTF8.GetBytes(builder.ToString()));
    }
}
