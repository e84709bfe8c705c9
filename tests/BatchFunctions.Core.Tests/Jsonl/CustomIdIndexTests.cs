using System.Text;
using BatchFunctions.Core.Jsonl;

namespace BatchFunctions.Core.Tests.Jsonl;

public sealed class CustomIdIndexTests
{
    [Theory]
    [InlineData(0, 10)]
    [InlineData(5000, 5000)]
    [InlineData(100, 5000)]
    public void EnsureCapacity_ThenIdsFewerOrMoreThanExpected_FindsEachAtItsOrdinal(long expected, int count)
    {
        var index = new CustomIdIndex(16);
        index.EnsureCapacity(expected);
        for (var i = 0; i < count; i++)
        {
            Assert.True(index.TryAdd(Encoding.UTF8.GetBytes($"id-{i}"), i));
        }

        Assert.False(index.TryAdd("id-3"u8, 99));
        for (var i = 0; i < count; i++)
        {
            Assert.True(index.TryGet(Encoding.UTF8.GetBytes($"id-{i}"), out var ordinal));
            Assert.Equal(i, ordinal);
        }

        Assert.False(index.TryGet("id-absent"u8, out _));
    }

    [Fact]
    public void EnsureCapacity_AfterClear_ForgetsTheEarlierPartsIds()
    {
        var index = new CustomIdIndex(16);
        index.TryAdd("a"u8, 0);
        index.Clear();
        index.EnsureCapacity(10_000);

        Assert.False(index.TryGet("a"u8, out _));
        Assert.True(index.TryAdd("a"u8, 7));
        Assert.True(index.TryGet("a"u8, out var ordinal));
        Assert.Equal(7, ordinal);
    }
}
