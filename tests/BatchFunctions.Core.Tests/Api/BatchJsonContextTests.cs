using System.Text.Json;
using BatchFunctions.Core.Api;

namespace BatchFunctions.Core.Tests.Api;

public sealed class BatchJsonContextTests
{
    [Fact]
    public void Readable_ProblemWithQuotesApostrophesAndAccents_WritesThemAsTheyAre()
    {
        var json = JsonSerializer.Serialize(new ApiProblem("about:blank", "Invalid start request", 400, "The JSON field 'model' is \"x\"; équipe", null), BatchJsonContext.Readable.ApiProblem);

        Assert.Contains("The JSON field 'model' is \\\"x\\\"; équipe", json, StringComparison.Ordinal);
        Assert.DoesNotContain("\\u00", json, StringComparison.Ordinal);
        Assert.Equal("The JSON field 'model' is \"x\"; équipe", JsonDocument.Parse(json).RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public void Readable_SameContractAsDefault_SnakeCaseAndEnumsAsNames()
    {
        var status = JsonSerializer.Serialize(new BatchList([], 0, 50, null), BatchJsonContext.Readable.BatchList);

        Assert.Equal(JsonSerializer.Serialize(new BatchList([], 0, 50, null), BatchJsonContext.Default.BatchList), status);
        Assert.Contains("\"page_size\"", status, StringComparison.Ordinal);
    }
}
