using System.Text.Json;
using BatchFunctions.Core.Mistral;

namespace BatchFunctions.Core.Tests.Mistral;

/// <summary>Open enumerations and tolerant models: new values and fields from Mistral must not break us.</summary>
public sealed class OpenValueTests
{
    [Fact]
    public void Deserialize_UnknownStatusPurposeAndFields_KeepsTheValuesAndIgnoresTheFields()
    {
        const string json = """{"id":"j","object":"batch","input_files":[],"endpoint":"/v1/new/thing","status":"PAUSED","errors":[],"created_at":1767225600,"total_requests":0,"completed_requests":0,"succeeded_requests":0,"failed_requests":0,"brand_new_field":{"x":1}}""";

        var job = JsonSerializer.Deserialize(json, MistralJsonContext.Default.BatchJob)!;

        Assert.Equal("PAUSED", job.Status.Value);
        Assert.False(job.Status.IsTerminal);
        Assert.Equal("/v1/new/thing", job.Endpoint.Value);
        Assert.DoesNotContain(job.Endpoint, ApiEndpoint.Known);
    }

    [Fact]
    public void Deserialize_FileWithNullBytesAndMinimalFields_UsesNullsAndDefaults()
    {
        const string json = """{"id":"f","object":"file","bytes":null,"created_at":1767225600,"filename":"a.jsonl","purpose":"audio","sample_type":"batch_request","source":"upload"}""";

        var file = JsonSerializer.Deserialize(json, MistralJsonContext.Default.MistralFile)!;

        Assert.Null(file.Bytes);
        Assert.Null(file.NumLines);
        Assert.Equal("audio", file.Purpose.Value);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1767225600), file.CreatedAt);
    }

    [Fact]
    public void Deserialize_JobMissingListsAndErrorCount_DefaultsToEmptyAndOne()
    {
        var job = JsonSerializer.Deserialize("""{"id":"j","status":"FAILED","errors":[{"message":"boom"}],"metadata":{"n":3,"s":"x"}}""", MistralJsonContext.Default.BatchJob)!;

        Assert.Empty(job.InputFiles);
        Assert.Equal(1, Assert.Single(job.Errors).Count);
        Assert.Equal("3", job.Metadata!["n"]);
        Assert.Equal("x", job.Metadata["s"]);
    }

    [Theory]
    [InlineData("SUCCESS", true)]
    [InlineData("FAILED", true)]
    [InlineData("TIMEOUT_EXCEEDED", true)]
    [InlineData("CANCELLED", true)]
    [InlineData("CANCELLATION_REQUESTED", false)]
    [InlineData("RUNNING", false)]
    [InlineData("QUEUED", false)]
    public void IsTerminal_EachStatus_MatchesTheContract(string status, bool terminal) =>
        Assert.Equal(terminal, BatchJobStatus.FromValue(status).IsTerminal);

    [Fact]
    public void Serialize_CreateRequest_WritesSnakeCaseAndOmitsNulls()
    {
        var json = JsonSerializer.Serialize(
            new CreateBatchJobRequest { Endpoint = ApiEndpoint.Embeddings, InputFiles = ["a"], TimeoutHours = 3, Metadata = new Dictionary<string, string> { ["k"] = "v" } },
            MistralJsonContext.Default.CreateBatchJobRequest);

        Assert.Equal("""{"endpoint":"/v1/embeddings","input_files":["a"],"metadata":{"k":"v"},"timeout_hours":3}""", json);
    }
}
