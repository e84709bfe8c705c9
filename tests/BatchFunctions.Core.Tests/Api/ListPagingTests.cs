using BatchFunctions.Core.Api;

namespace BatchFunctions.Core.Tests.Api;

public sealed class ListPagingTests
{
    [Theory]
    [InlineData(null, null, 0, 50)]
    [InlineData("", "", 0, 50)]
    [InlineData("3", "20", 3, 20)]
    [InlineData("10000", "100", 10_000, 100)]
    public void Parse_ValuesInRange_GivesThePage(string? page, string? size, int expectedPage, int expectedSize)
    {
        var (paging, error) = ListPaging.Parse(page, size);

        Assert.Null(error);
        Assert.Equal(new ListPaging(expectedPage, expectedSize), paging);
    }

    [Theory]
    [InlineData("2147483647", "100")]
    [InlineData("10001", "1")]
    [InlineData("-1", "10")]
    [InlineData("+1", "10")]
    [InlineData("1e3", "10")]
    [InlineData("0", "0")]
    [InlineData("0", "101")]
    [InlineData("99999999999", "10")]
    public void Parse_ValuesOutOfRange_AreRefusedNamingBothLimits(string page, string size)
    {
        var (paging, error) = ListPaging.Parse(page, size);

        Assert.Null(paging);
        Assert.Contains("page_size from 1 to 100", error, StringComparison.Ordinal);
    }
}
