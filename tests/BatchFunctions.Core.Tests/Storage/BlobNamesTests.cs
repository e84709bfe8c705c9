using BatchFunctions.Core.Storage;

namespace BatchFunctions.Core.Tests.Storage;

public sealed class BlobNamesTests
{
    [Theory]
    [InlineData("requests.jsonl")]
    [InlineData("team/2026/11/requests.JSONL")]
    [InlineData("accents é and spaces.jsonl")]
    [InlineData("a%2Fb.jsonl")]
    [InlineData("..x/y..jsonl")]
    public void CheckInputName_NameInsideTheContainer_IsAccepted(string name) =>
        Assert.Null(BlobNames.CheckInputName(name, "blob.name"));

    [Theory]
    [InlineData(null, "required")]
    [InlineData("", "required")]
    [InlineData("../othercontainer/private/data.jsonl", "'..'")]
    [InlineData("a/../../b.jsonl", "'..'")]
    [InlineData("a/./b.jsonl", "'.'")]
    [InlineData("%2e%2e/x.jsonl", "'..'")]
    [InlineData("%2E%2E%2Fother%2Fx.jsonl", "'..'")]
    [InlineData("..\\x.jsonl", "backslash")]
    [InlineData("a%5cb.jsonl", "percent-encoded")]
    [InlineData("a\u0001b.jsonl", "U+0001")]
    [InlineData("a\u0000b.jsonl", "U+0000")]
    [InlineData("a%00b.jsonl", "percent-encoded")]
    [InlineData("a\r\nb.jsonl", "U+000D")]
    [InlineData("/x.jsonl", "leading '/'")]
    [InlineData("a//b.jsonl", "empty path segment")]
    [InlineData("x.csv", ".jsonl")]
    public void CheckInputName_NameThatCouldEscapeOrBreak_IsRefusedNamingTheField(string? name, string why)
    {
        var problem = BlobNames.CheckInputName(name, "The JSON field 'blob.name'");

        Assert.NotNull(problem);
        Assert.StartsWith("The JSON field 'blob.name'", problem, StringComparison.Ordinal);
        Assert.Contains(why, problem, StringComparison.Ordinal);
    }

    [Fact]
    public void CheckInputName_LoneSurrogate_IsRefused() =>
        Assert.Contains("UTF-16", BlobNames.CheckInputName("a" + (char)0xD800 + ".jsonl", "name"), StringComparison.Ordinal);

    [Fact]
    public void CheckInputName_LongerThanOutputsAllow_IsRefused() =>
        Assert.Contains("at most", BlobNames.CheckInputName(new string('a', BlobNames.MaxInputNameLength) + ".jsonl", "name"), StringComparison.Ordinal);

    [Theory]
    [InlineData("batch-input", true)]
    [InlineData("abc", true)]
    [InlineData("a1-b2", true)]
    [InlineData("ab", false)]
    [InlineData("Batch-Input", false)]
    [InlineData("-abc", false)]
    [InlineData("abc-", false)]
    [InlineData("a--b", false)]
    [InlineData("a_b", false)]
    [InlineData("a.b", false)]
    [InlineData(null, false)]
    public void IsContainerName_FollowsAzureRules(string? name, bool valid) =>
        Assert.Equal(valid, BlobNames.IsContainerName(name));
}
