using System.Text;
using BatchFunctions.Core.Jsonl;

namespace BatchFunctions.Core.Tests.Jsonl;

public sealed class JsonlCombinerTests
{
    [Fact]
    public async Task CombineAsync_EarlierAndRetryLines_InterleavesThemInOriginalOrderAndDropsTheReplaced()
    {
        // The original input's order: a, b, c, d, e.
        var ordinals = new CustomIdIndex(16);
        foreach (var (id, ordinal) in new[] { ("a", 0), ("b", 1), ("c", 2), ("d", 3), ("e", 4) })
        {
            ordinals.TryAdd(Encoding.UTF8.GetBytes(id), ordinal);
        }

        // Earlier errors for b, d and e; the retry sent b and e again and e failed once more.
        var replaced = new CustomIdSet();
        replaced.AddHash(CustomIdSet.Hash("b"u8));
        replaced.AddHash(CustomIdSet.Hash("e"u8));
        var earlier = Lines("b:old", "d:old", "e:old", "zz:unknown");
        var retry = Lines("e:new");
        var destination = new MemoryStream();

        var written = await JsonlCombiner.CombineAsync(earlier, retry, ordinals, replaced, destination, CancellationToken.None);

        var lines = Encoding.UTF8.GetString(destination.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["d:old", "zz:unknown", "e:new"], lines.Select(Tag));
        Assert.Equal(3, written);
    }

    [Fact]
    public async Task CombineAsync_OnlyOneSide_CopiesItInOrder()
    {
        var ordinals = new CustomIdIndex(16);
        ordinals.TryAdd("a"u8, 0);
        ordinals.TryAdd("b"u8, 1);
        var destination = new MemoryStream();

        var written = await JsonlCombiner.CombineAsync(null, Lines("a:new", "b:new"), ordinals, null, destination, CancellationToken.None);

        Assert.Equal(2, written);
        Assert.Equal(["a:new", "b:new"], Encoding.UTF8.GetString(destination.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(Tag));
    }

    private static MemoryStream Lines(params string[] tagged) => new(Encoding.UTF8.GetBytes(string.Concat(tagged.Select(t =>
        $$$"""{"custom_id":"{{{t.Split(':')[0]}}}","response":{"status_code":200,"body":{"tag":"{{{t}}}"}},"error":null}""" + "\n"))));

    private static string Tag(string line) => System.Text.Json.JsonDocument.Parse(line).RootElement.GetProperty("response").GetProperty("body").GetProperty("tag").GetString()!;
}
