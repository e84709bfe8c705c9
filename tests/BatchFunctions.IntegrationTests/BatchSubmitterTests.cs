using System.Text.Json;
using BatchFunctions.Core.Api;

namespace BatchFunctions.IntegrationTests;

[Collection(AzuriteTests.Name)]
public sealed class BatchSubmitterTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData("null")]
    [InlineData("not json")]
    public async Task AcquireAsync_KeyBlobThatHoldsNoRecord_IsTakenOverInsteadOfLoopedOn(string content)
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        await host.Storage.Staging.CreateIfNotExistsAsync();
        var name = "idempotency/" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("damaged-key"u8)) + ".json";
        await host.Storage.Staging.GetBlobClient(name).UploadAsync(BinaryData.FromString(content));
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(10));

        var acquired = await host.Idempotency.AcquireAsync("damaged-key", patience.Token);

        Assert.NotNull(acquired.Claim);
        await acquired.Claim.DisposeAsync();
        Assert.False((await host.Storage.Staging.GetBlobClient(name).ExistsAsync()).Value);
    }

    [Fact]
    public async Task ResolveAsync_InlineRequests_WritesThemWithTheirSettingsAsMetadata()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        using var line = JsonDocument.Parse("""{"custom_id":"a","body":{"messages":[{"role":"user","content":"hi"}]}}""");

        var (source, errors) = await host.Submitter.ResolveAsync(new StartBatchRequest(
            Requests: [line.RootElement],
            Name: "api/one.jsonl",
            Model: "mistral-large-latest",
            TimeoutHours: 6,
            Metadata: new Dictionary<string, string> { ["team"] = "data" }));

        Assert.Empty(errors);
        Assert.Equal(("api/one.jsonl", host.Storage.Options.InputContainer), (source!.Name, source.Container));
        var properties = (await host.Storage.Input.GetBlobClient("api/one.jsonl").GetPropertiesAsync()).Value;
        Assert.Equal(properties.ETag.ToString(), source.ETag);
        Assert.Equal("mistral-large-latest", properties.Metadata["model"]);
        Assert.Equal("6", properties.Metadata["timeout_hours"]);
        Assert.Equal("data", properties.Metadata["metadata_team"]);
        Assert.Equal(line.RootElement.GetRawText() + "\n", await WorkflowTestHost.ReadTextAsync(host.Storage.Input, "api/one.jsonl"));
    }

    [Fact]
    public async Task ResolveAsync_BlobReference_PinsItsCurrentVersion()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        var dropped = await host.DropAsync("ref.jsonl", "{\"custom_id\":\"a\",\"body\":{}}\n");

        var (source, errors) = await host.Submitter.ResolveAsync(new StartBatchRequest(Blob: new BlobReference(null, "ref.jsonl")));

        Assert.Empty(errors);
        Assert.Equal(dropped.Source, source);
    }

    [Theory]
    [InlineData("neither")]
    [InlineData("settings with a blob")]
    [InlineData("missing blob")]
    [InlineData("bad name")]
    public async Task ResolveAsync_InvalidRequests_SayWhy(string problem)
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite);
        using var line = JsonDocument.Parse("""{"custom_id":"a","body":{}}""");
        var request = problem switch
        {
            "neither" => new StartBatchRequest(),
            "settings with a blob" => new StartBatchRequest(Blob: new BlobReference(null, "x.jsonl"), Model: "m"),
            "missing blob" => new StartBatchRequest(Blob: new BlobReference(null, "nope.jsonl")),
            _ => new StartBatchRequest(Requests: [line.RootElement], Name: "../escape.txt"),
        };

        var (source, errors) = await host.Submitter.ResolveAsync(request);

        Assert.Null(source);
        Assert.NotEmpty(errors);
    }
}
