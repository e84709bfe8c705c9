using System.Text.Json;
using Azure.Storage.Queues.Models;

namespace BatchFunctions.FunctionApp.Tests;

/// <summary>The Function App's queue and blob starters, called as the host calls them.</summary>
[Collection(AzuriteTests.Name)]
public sealed class StarterFunctionsTests(AzuriteFixture azurite)
{
    [Theory]
    [InlineData("""{"blob": {}}""", "blob.name")]
    [InlineData("""{"blob": {"name": ""}}""", "blob.name")]
    [InlineData("""{"blob": {"name": "../other/x.jsonl"}}""", "'..'")]
    [InlineData("""{"requests": []}""", "'requests' is empty")]
    [InlineData("""{"blob": {"name": "never-uploaded.jsonl"}}""", "No blob")]
    [InlineData("not json", "not a JSON start request")]
    public async Task StartFromQueue_MessageThatCanNeverStart_IsPoisonedAtOnceWithTheReason(string text, string reason)
    {
        await using var host = await FunctionAppTestHost.StartAsync(azurite);
        var message = QueuesModelFactory.QueueMessage("m1", "pop", text, dequeueCount: 1);

        await host.Function<QueueStarterFunctions>().StartFromQueue(message, host.Client, CancellationToken.None);

        var poisoned = (await host.Storage.Queues.GetQueueClient(QueueStarterFunctions.PoisonQueue).ReceiveMessagesAsync(maxMessages: 32)).Value
            .Select(m => JsonDocument.Parse(m.Body.ToString()).RootElement)
            .Single(m => m.GetProperty("message").GetString() == text);
        Assert.Contains(reason, poisoned.GetProperty("reason").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, poisoned.GetProperty("attempts").GetInt32());
    }

    [Fact]
    public async Task StartFromQueue_BlobReference_StartsItsBatch()
    {
        await using var host = await FunctionAppTestHost.StartAsync(azurite);
        var source = await host.DropAsync("queued.jsonl", FunctionAppTestHost.Chat(2));

        await host.Function<QueueStarterFunctions>().StartFromQueue(QueuesModelFactory.QueueMessage("m2", "pop", """{"blob": {"name": "queued.jsonl"}}""", dequeueCount: 1), host.Client, CancellationToken.None);
        var done = await host.WaitForEndAsync(Core.Workflow.BatchInstanceId.From(source));

        Assert.Equal(Core.Workflow.BatchOutcome.Succeeded, done.Outcome);
    }

    [Theory]
    [InlineData("../other/x.jsonl")]
    [InlineData("a\u0001.jsonl")]
    [InlineData("notes.txt")]
    public async Task StartFromBlobScan_NameThatIsNotASafeInput_StartsNothing(string name)
    {
        await using var host = await FunctionAppTestHost.StartAsync(azurite);
        var blob = host.Storage.Input.GetBlobClient(name);

        await host.Function<BlobStarterFunctions>().StartFromBlobScan(blob, name, host.Client, CancellationToken.None);

        var any = false;
        await foreach (var _ in host.Client.GetAllInstancesAsync())
        {
            any = true;
        }

        Assert.False(any);
    }
}
