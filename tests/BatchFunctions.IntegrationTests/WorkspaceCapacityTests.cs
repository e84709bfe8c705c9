using System.Text;
using System.Text.Json;
using BatchFunctions.Core;
using BatchFunctions.Core.Capacity;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using BatchFunctions.MistralEmulator;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Testing;

namespace BatchFunctions.IntegrationTests;

/// <summary>Admission under the workspace's pending-request limit, against Azurite and the emulator.</summary>
[Collection(AzuriteTests.Name)]
public sealed class WorkspaceCapacityTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Run_SecondBatchPastTheWorkspacesPendingLimit_WaitsInTheQueueAndMistralRefusesNothing()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Mistral:MaxPendingRequests"] = "5" });
        await SetEmulatorLimitAsync(host, 5);

        var log = new FakeLogger();
        host.Driver.Logger = log;

        // The first batch's 4 requests are pending at Mistral; the second's 4 would pass the workspace's 5.
        var first = await host.Driver.RunAsync(await host.DropAsync("first.jsonl", Chat(4)), s => s.Parts.Count > 0 && s.Parts.All(p => p.JobId is not null));
        var waiting = await host.Driver.RunAsync(await host.DropAsync("second.jsonl", Chat(4)), s => s.Retry is not null || s.Outcome is not null);

        Assert.Null(waiting.Outcome);
        Assert.StartsWith("Waiting for workspace capacity: ", waiting.Retry!.LastError, StringComparison.Ordinal);
        Assert.Contains("of 5 pending in the workspace", waiting.Retry.LastError, StringComparison.Ordinal);
        Assert.Equal(waiting.Retry.LastError, BatchStatus.From(waiting, host.Clock.GetUtcNow()).LastError);
        Assert.Null(waiting.Parts.Single().JobId);

        var second = await host.Driver.RunAsync(waiting);
        var firstDone = await host.Driver.RunAsync(first);

        Assert.Equal((BatchOutcome.Succeeded, BatchOutcome.Succeeded), (firstDone.Outcome, second.Outcome));
        Assert.Equal([200, 200], await CreateStatusesAsync(host));

        // The wait is logged once, as it begins, however many times the part looked again.
        var waits = log.Collector.GetSnapshot().Where(r => r.Id.Id == 3011).ToList();
        Assert.StartsWith($"Batch {second.InstanceId} waits at CreateJob:0: Waiting for workspace capacity: ", Assert.Single(waits).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_InputLargerThanThePendingLimit_IsPlannedInPartsThatFit()
    {
        await using var host = await WorkflowTestHost.StartAsync(azurite, new Dictionary<string, string?> { ["Mistral:MaxPendingRequests"] = "4" });
        await SetEmulatorLimitAsync(host, 4);

        var done = await host.Driver.RunAsync(await host.DropAsync("large.jsonl", Chat(10)));

        Assert.Equal(BatchOutcome.Succeeded, done.Outcome);
        Assert.Equal([4L, 4L, 2L], done.Parts.Select(p => p.Requests));
        Assert.DoesNotContain(400, await CreateStatusesAsync(host));
    }

    [Fact]
    public async Task AdmitAsync_TwoHostsCompetingForTheLastCapacity_NeverGrantMoreThanTheLimit()
    {
        await using var emulator = await MistralEmulatorServer.StartAsync();
        var settings = WorkflowTestHost.IsolatedSettings(azurite, emulator);
        settings["Mistral:MaxPendingRequests"] = "10";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        await using var hostA = new ServiceCollection().AddLogging().AddBatchFunctionsCore(configuration).BuildServiceProvider();
        await using var hostB = new ServiceCollection().AddLogging().AddBatchFunctionsCore(configuration).BuildServiceProvider();
        await hostA.GetRequiredService<BatchStorage>().EnsureCreatedAsync();
        var since = DateTimeOffset.UtcNow;

        // Eight parts of 3 requests, four asked from each host at once: 3 fit under 10, never 4.
        async Task<CapacityAdmission[]> AskAllAsync() => await Task.WhenAll(Enumerable.Range(0, 8).Select(part =>
            (part % 2 == 0 ? hostA : hostB).GetRequiredService<WorkspaceCapacity>().AdmitAsync(new CapacityRequest("bf-race", part, 3, BatchPriority.Normal, since), CancellationToken.None)));
        var rounds = new List<CapacityAdmission[]>();
        for (var round = 0; round < 4; round++)
        {
            rounds.Add(await AskAllAsync());
        }

        Assert.All(rounds, round => Assert.InRange(round.Count(a => a.Granted) * 3, 0, 10));
        Assert.Equal(3, rounds[^1].Count(a => a.Granted));
        var ledger = JsonSerializer.Deserialize(
            (await hostA.GetRequiredService<BatchStorage>().Staging.GetBlobClient(LedgerName(hostA)).DownloadContentAsync()).Value.Content.ToString(),
            BatchJsonContext.Default.CapacityLedger)!;
        Assert.Equal((3, 5), (ledger.Grants.Count, ledger.Waiters.Count));
    }

    private static string LedgerName(IServiceProvider services)
    {
        var name = services.GetRequiredService<BatchStorage>().Staging.GetBlobs(Azure.Storage.Blobs.Models.BlobTraits.None, Azure.Storage.Blobs.Models.BlobStates.None, "capacity/", CancellationToken.None).Single().Name;
        Assert.Matches("^capacity/[0-9a-f]{16}\\.json$", name);
        return name;
    }

    private static async Task SetEmulatorLimitAsync(WorkflowTestHost host, int limit)
    {
        using var content = new StringContent($$"""{"max_pending_requests": {{limit}}}""", Encoding.UTF8, "application/json");
        (await host.Admin.PutAsync(new Uri("_emulator/settings", UriKind.Relative), content)).EnsureSuccessStatusCode();
    }

    private static Task<List<int>> CreateStatusesAsync(WorkflowTestHost host) => EmulatorCalls.StatusesAsync(host.Admin, "POST", "/v1/batch/jobs");

    private static string Chat(int count) => string.Concat(Enumerable.Range(1, count).Select(i =>
        "{\"custom_id\":\"q" + i + "\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"question " + i + "\"}]}}\n"));
}
