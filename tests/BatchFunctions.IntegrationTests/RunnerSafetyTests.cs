using System.Net;
using System.Text;
using System.Text.Json;
using BatchFunctions.Core.Api;

namespace BatchFunctions.IntegrationTests;

/// <summary>
/// What callers may not do to the runner: reach outside the input container through an event, flood its
/// webhook, keep a message that can never succeed in the queue, or reach it unkeyed beyond loopback. The
/// runner is a real process; the HTTP API's malformed requests are in <see cref="RunnerApiContractTests"/>.
/// </summary>
[Collection(AzuriteTests.Name)]
public sealed class RunnerSafetyTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task EventGrid_SubjectClimbingOutOfTheInputContainer_StartsNothing()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var runner = await host.StartRunnerAsync(null, "--no-watch", "--no-queue");
        var input = host.Settings["Storage:InputContainer"];
        var state = host.Settings["Runner:StateContainer"];
        await host.Storage.Archive.CreateIfNotExistsAsync();
        await host.Storage.Archive.GetBlobClient("old.jsonl").UploadAsync(BinaryData.FromString(RunnerTestHost.Lines(2)));
        var account = host.Storage.AccountName;
        string Event(string name) =>
            $$"""{"id":"{{Guid.NewGuid()}}","topic":"/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/{{account}}","subject":"/blobServices/default/containers/{{input}}/blobs/{{name}}","eventType":"Microsoft.Storage.BlobCreated","data":{},"eventTime":"2026-11-23T00:00:00Z","dataVersion":""}""";

        using var climbing = await runner.Http.PostAsync(
            new Uri("api/events", UriKind.Relative),
            RunnerTestHost.Json($"[{Event($"../{host.Storage.Options.ArchiveContainer}/old.jsonl")},{Event($"../{state}/instances/x.jsonl")},{Event("%2e%2e/x.jsonl")}]"));
        var answer = JsonDocument.Parse(await climbing.Content.ReadAsStringAsync()).RootElement;

        Assert.Equal(HttpStatusCode.OK, climbing.StatusCode);
        Assert.Equal(3, answer.GetProperty("ignored").GetInt32());
        Assert.Empty(answer.GetProperty("started").EnumerateArray());
        Assert.Empty((await runner.Client.ListAsync()).Batches);
        Assert.True(await host.Storage.Archive.GetBlobClient("old.jsonl").ExistsAsync());
    }

    [Fact]
    public async Task EventGrid_DeliveryOverOneMebibyte_Answers413()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var runner = await host.StartRunnerAsync(null, "--no-watch", "--no-queue");
        var padding = new string('x', 1_600_000);

        using var large = await runner.Http.PostAsync(new Uri("api/events", UriKind.Relative), RunnerTestHost.Json($$"""[{"id":"1","eventType":"Other","data":"{{padding}}"}]"""));
        using var chunked = new HttpRequestMessage(HttpMethod.Post, new Uri("api/events", UriKind.Relative))
        {
            Content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes($$"""[{"id":"1","eventType":"Other","data":"{{padding}}"}]"""))),
        };
        chunked.Headers.TransferEncodingChunked = true;
        using var streamed = await runner.Http.SendAsync(chunked);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, large.StatusCode);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, streamed.StatusCode);
        Assert.Equal("application/problem+json", streamed.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task QueueStart_MessagesThatCanNeverStart_ArePoisonedAtOnceAndTheRestOfTheBatchRuns()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite, settings: new Dictionary<string, string?> { ["Runner:MaxDequeueCount"] = "5" });
        var requests = host.Storage.Queues.GetQueueClient(host.Settings["Runner:RequestsQueue"]);
        var poison = host.Storage.Queues.GetQueueClient(host.Settings["Runner:RequestsQueue"] + "-poison");
        await requests.CreateIfNotExistsAsync();
        await poison.CreateIfNotExistsAsync();
        var good = await host.DropAsync("good.jsonl", RunnerTestHost.Lines(2));
        foreach (var text in new[] { """{"blob": {}}""", """{"blob": {"name": ""}}""", """{"requests": []}""", """{"blob": {"name": "../x/y.jsonl"}}""", "42", """{"blob": {"name": "good.jsonl"}}""" })
        {
            await requests.SendMessageAsync(text);
        }

        var runner = await host.StartRunnerAsync(null, "--no-watch");
        var poisoned = new List<JsonElement>();
        await host.EventuallyAsync(async () =>
        {
            foreach (var message in (await poison.ReceiveMessagesAsync(maxMessages: 10)).Value)
            {
                poisoned.Add(JsonDocument.Parse(message.Body.ToString()).RootElement.Clone());
                await poison.DeleteMessageAsync(message.MessageId, message.PopReceipt);
            }

            return poisoned.Count == 5;
        }, "five poisoned messages");
        var done = await host.WaitForCompletionAsync(runner.Client, Core.Workflow.BatchInstanceId.From(good));

        Assert.All(poisoned, p => Assert.Equal(1, p.GetProperty("attempts").GetInt32()));
        Assert.Contains(poisoned, p => p.GetProperty("reason").GetString()!.Contains("blob.name", StringComparison.Ordinal));
        Assert.Contains(poisoned, p => p.GetProperty("reason").GetString()!.Contains("'requests' is empty", StringComparison.Ordinal));
        Assert.Equal(Core.Workflow.BatchOutcome.Succeeded, done.Outcome);
        Assert.Equal(0, (await requests.GetPropertiesAsync()).Value.ApproximateMessagesCount);
    }

    [Fact]
    public async Task Watcher_ListingBrokenByAControlCharacterName_LogsOnceAndOtherStartsGoOn()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);

        // Put there directly, not through BatchFunctions (which refuses such a name): on Azurite it breaks every listing.
        await host.Storage.Input.GetBlobClient("bad\u0001name.jsonl").UploadAsync(BinaryData.FromString(RunnerTestHost.Lines(1)));
        var runner = await host.StartRunnerAsync(null, "--no-queue");
        await host.Storage.Archive.CreateIfNotExistsAsync();
        var good = await host.DropAsync("good.jsonl", RunnerTestHost.Lines(2));

        var started = await runner.Client.StartAsync(new StartBatchRequest(Blob: new BlobReference(null, "good.jsonl")));
        var done = await host.WaitForCompletionAsync(runner.Client, started.Id);

        Assert.Equal(Core.Workflow.BatchInstanceId.From(good), started.Id);
        Assert.Equal(Core.Workflow.BatchOutcome.Succeeded, done.Outcome);
        await host.EventuallyAsync(() => Task.FromResult(host.RunnerOutput.Contains("failed; new inputs there are not seen", StringComparison.Ordinal)), "the listing failure logged");
        Assert.Equal(1, System.Text.RegularExpressions.Regex.Count(host.RunnerOutput, "failed; new inputs there are not seen"));
    }

    [Fact]
    public async Task Serve_LoopbackHostNameWithoutAKey_RefusesToStartInOneLine()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);

        var (exitCode, output) = await RunnerProcess.RunToExitAsync(host.Settings, "serve", "--urls", "http://loopback:0");

        Assert.Equal(2, exitCode);
        Assert.Contains("ApiKey", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_KestrelEndpointFromConfigurationWithoutAKey_RefusesToStart()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var settings = new Dictionary<string, string?>(host.Settings) { ["Kestrel:Endpoints:Http:Url"] = "http://0.0.0.0:0" };

        var (exitCode, output) = await RunnerProcess.RunToExitAsync(settings, "serve");

        Assert.Equal(2, exitCode);
        Assert.Contains("0.0.0.0", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_NoStorageConfigured_StartsThePinnedAzuriteThatKeepsBatchesAcrossARestart()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var data = Directory.CreateTempSubdirectory("batchfn-azurite-");
        var port = FreePorts(3);
        var settings = new Dictionary<string, string?>(host.Settings) { ["BATCHFN_AZURITE_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture), ["BATCHFN_AZURITE_DATA"] = data.FullName };
        settings.Remove("Storage:ConnectionString");
        try
        {
            string id;
            await using (var first = await RunnerProcess.StartAsync(settings, "--no-watch", "--no-queue"))
            {
                Assert.Contains($"Storage: started the pinned Azurite on 127.0.0.1:{port}-{port + 2}, data kept in {data.FullName}", first.Output, StringComparison.Ordinal);
                id = (await first.Client.StartAsync(new StartBatchRequest(Requests: [.. RunnerTestHost.Lines(2).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.Clone())]))).Id;
                await host.WaitForCompletionAsync(first.Client, id);
                Assert.Equal(0, await first.TerminateAsync());
            }

            Assert.False(await AcceptsAsync(port), "Azurite still listens after the runner stopped");
            await using var second = await RunnerProcess.StartAsync(settings, "--no-watch", "--no-queue");
            var again = await second.Client.GetAsync(id);

            Assert.Equal(Core.Workflow.BatchOutcome.Succeeded, again?.Outcome);
        }
        finally
        {
            data.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Serve_StorageUnreachableOrPortInUse_FailsAtOnceInOneLine()
    {
        var none = new Dictionary<string, string?>
        {
            ["Storage:ConnectionString"] = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;BlobEndpoint=http://127.0.0.1:9/devstoreaccount1;QueueEndpoint=http://127.0.0.1:9/devstoreaccount1;",
        };
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        await using var host = await RunnerTestHost.StartAsync(azurite);

        var unreachable = await RunnerProcess.RunToExitAsync(none, "serve", "--urls", "http://127.0.0.1:0");
        var inUse = await RunnerProcess.RunToExitAsync(host.Settings, "serve", "--no-watch", "--no-queue", "--urls", $"http://127.0.0.1:{((System.Net.IPEndPoint)taken.LocalEndpoint).Port}");

        Assert.Equal(1, unreachable.ExitCode);
        Assert.Contains("Cannot reach Azure Storage at http://127.0.0.1:9 (from Storage__ConnectionString)", unreachable.Output, StringComparison.Ordinal);
        Assert.Equal(1, inUse.ExitCode);
        Assert.Contains("address already in use", inUse.Output, StringComparison.Ordinal);
        Assert.All(new[] { unreachable.Output, inUse.Output }, output => Assert.DoesNotContain("   at ", output, StringComparison.Ordinal));
    }

    /// <summary>The first of <paramref name="count"/> consecutive free loopback ports.</summary>
    private static int FreePorts(int count)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
            probe.Start();
            var first = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            if (first + count < 65535 && Enumerable.Range(first, count).All(IsFree) || attempt > 50)
            {
                return first;
            }
        }

        static bool IsFree(int port)
        {
            try
            {
                using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                return true;
            }
            catch (System.Net.Sockets.SocketException)
            {
                return false;
            }
        }
    }

    private static async Task<bool> AcceptsAsync(int port)
    {
        using var client = new System.Net.Sockets.TcpClient();
        try
        {
            await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }
}
