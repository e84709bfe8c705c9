using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Tests.Workflow;

public sealed class BatchInstanceIdTests
{
    private static readonly BatchSource Source = new("acct", "batch-input", "a.jsonl", "\"0x8DC1\"");

    [Fact]
    public void From_SameBlobVersion_GivesTheSameId()
    {
        Assert.Equal(BatchInstanceId.From(Source), BatchInstanceId.From(Source with { ETag = "0x8DC1" }));
        Assert.Matches("^bf-[0-9a-f]{32}$", BatchInstanceId.From(Source));
    }

    [Theory]
    [InlineData("other", "batch-input", "a.jsonl", "\"0x8DC1\"")]
    [InlineData("acct", "other", "a.jsonl", "\"0x8DC1\"")]
    [InlineData("acct", "batch-input", "b.jsonl", "\"0x8DC1\"")]
    [InlineData("acct", "batch-input", "a.jsonl", "\"0x8DC2\"")]
    public void From_AnyOtherIdentity_GivesAnotherId(string account, string container, string name, string etag) =>
        Assert.NotEqual(BatchInstanceId.From(Source), BatchInstanceId.From(new BatchSource(account, container, name, etag)));

    [Fact]
    public void IsWellFormed_AnIdThisClassMade_IsTrue() =>
        Assert.True(BatchInstanceId.IsWellFormed(BatchInstanceId.From(new BatchSource("a", "c", "n.jsonl", "\"0x1\""))));

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("bf-")]
    [InlineData("bf-0123456789abcdef0123456789ABCDEF")]
    [InlineData("xx-0123456789abcdef0123456789abcdef")]
    [InlineData("bf-0123456789abcdef0123456789abcde/")]
    [InlineData("bf-0123456789abcdef0123456789abcdef0")]
    public void IsWellFormed_AnythingElse_IsFalse(string? text) => Assert.False(BatchInstanceId.IsWellFormed(text));
}
