using System.Text.RegularExpressions;

namespace BatchFunctions.IntegrationTests;

/// <summary>The <c>batchfn</c> commands that talk to a host, run as processes against a runner process.</summary>
[Collection(AzuriteTests.Name)]
public sealed partial class BatchFnCliTests(AzuriteFixture azurite)
{
    [Fact]
    public async Task Run_SettingOutOfRange_SaysOneLineNamingTheSettingWithoutAStackTrace()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var work = Directory.CreateTempSubdirectory("batchfn-cli-");
        var input = Path.Combine(work.FullName, "questions.jsonl");
        await File.WriteAllTextAsync(input, RunnerTestHost.Lines(2));
        var settings = new Dictionary<string, string?>(host.Settings) { ["Runner__MaxConcurrentBatches"] = "0" };

        try
        {
            var run = await RunnerProcess.RunToExitAsync(settings, "run", input, "-o", Path.Combine(work.FullName, "out"));

            Assert.Equal(2, run.ExitCode);
            Assert.Contains("Setting Runner:MaxConcurrentBatches (environment variable Runner__MaxConcurrentBatches) is invalid: The field MaxConcurrentBatches must be between 1 and 1000.", run.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("Exception", run.Output, StringComparison.Ordinal);
            Assert.DoesNotContain("   at ", run.Output, StringComparison.Ordinal);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Commands_SubmitWaitStatusListResultsCancel_WorkAgainstARunner()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var runner = await host.StartRunnerAsync(null, "--no-watch", "--no-queue");
        var work = Directory.CreateTempSubdirectory("batchfn-cli-");
        var input = Path.Combine(work.FullName, "questions.jsonl");
        await File.WriteAllTextAsync(input, RunnerTestHost.Lines(7));
        var url = runner.Address.ToString();
        var none = new Dictionary<string, string?>();

        try
        {
            var submit = await RunnerProcess.RunToExitAsync(none, "submit", input, "--wait", "--url", url, "-o", Path.Combine(work.FullName, "out"), "--metadata", "team=cli", "--poll-seconds", "0.2");
            var id = SubmittedId().Match(submit.Output).Groups["id"].Value;
            var status = await RunnerProcess.RunToExitAsync(none, "status", id, "--url", url);
            var list = await RunnerProcess.RunToExitAsync(none, "list", "--status", "succeeded", "--url", url);
            var results = await RunnerProcess.RunToExitAsync(none, "results", id, "-o", Path.Combine(work.FullName, "again"), "--url", url);
            var cancel = await RunnerProcess.RunToExitAsync(none, "cancel", id, "--url", url);
            var unknown = await RunnerProcess.RunToExitAsync(none, "status", "bf-" + new string('0', 32), "--url", url);
            var unreachable = await RunnerProcess.RunToExitAsync(none, "list", "--url", "http://127.0.0.1:9");
            var bad = Path.Combine(work.FullName, "bad.jsonl");
            await File.WriteAllTextAsync(bad, RunnerTestHost.Lines(1) + "{\"custom_id\":\"x\",\"body\":{}}\nnot json\n");
            var refused = await RunnerProcess.RunToExitAsync(none, "submit", bad, "--url", url);

            Assert.True(submit.ExitCode == 0, submit.Output);
            Assert.Contains("Succeeded", submit.Output, StringComparison.Ordinal);
            Assert.Equal(7, File.ReadAllLines(Path.Combine(work.FullName, "out", "results.jsonl")).Length);
            Assert.True(File.Exists(Path.Combine(work.FullName, "out", "summary.json")));
            Assert.Equal(0, status.ExitCode);
            Assert.Contains("Completed (Succeeded)", status.Output, StringComparison.Ordinal);
            Assert.Equal(0, list.ExitCode);
            Assert.Contains(id, list.Output, StringComparison.Ordinal);
            Assert.Equal(0, results.ExitCode);
            Assert.Equal(File.ReadAllText(Path.Combine(work.FullName, "out", "results.jsonl")), File.ReadAllText(Path.Combine(work.FullName, "again", "results.jsonl")));
            Assert.Equal(1, cancel.ExitCode);
            Assert.Contains("already ended Succeeded", cancel.Output, StringComparison.Ordinal);
            Assert.Equal(1, unknown.ExitCode);
            Assert.Contains("No batch", unknown.Output, StringComparison.Ordinal);
            Assert.Equal(1, unreachable.ExitCode);
            Assert.Contains("Cannot reach", unreachable.Output, StringComparison.Ordinal);
            Assert.Equal(1, refused.ExitCode);
            Assert.Contains("2 errors, first at line 2 (body.messages): missing_field", refused.Output, StringComparison.Ordinal);
            Assert.Contains("  line 3: invalid_json:", refused.Output, StringComparison.Ordinal);
            Assert.DoesNotMatch(SubmittedId(), refused.Output);
            Assert.Equal("cli", Assert.Single(await host.JobsOfAsync(id)).Metadata!["team"]);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Submit_SameIdempotencyKeyTwice_StartsOneBatchAndPaysOnce()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var runner = await host.StartRunnerAsync(null, "--no-watch", "--no-queue");
        var work = Directory.CreateTempSubdirectory("batchfn-cli-");
        var input = Path.Combine(work.FullName, "keyed.jsonl");
        await File.WriteAllTextAsync(input, RunnerTestHost.Lines(3));
        var none = new Dictionary<string, string?>();

        try
        {
            var first = await RunnerProcess.RunToExitAsync(none, "submit", input, "--idempotency-key", "run-42", "--url", runner.Address.ToString());
            var second = await RunnerProcess.RunToExitAsync(none, "submit", input, "--idempotency-key", "run-42", "--url", runner.Address.ToString());
            var id = SubmittedId().Match(first.Output).Groups["id"].Value;
            await host.WaitForCompletionAsync(runner.Client, id);

            Assert.True(first.ExitCode == 0, first.Output);
            Assert.Contains($"Batch {id} exists already", second.Output, StringComparison.Ordinal);
            Assert.Single((await runner.Client.ListAsync()).Batches);
            Assert.Single(await host.JobsOfAsync(id));
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Retry_Wait_SendsTheUnprocessedLinesAgainAndDownloadsTheCombinedFiles()
    {
        await using var host = await RunnerTestHost.StartAsync(azurite);
        var runner = await host.StartRunnerAsync(null, "--no-watch", "--no-queue");
        var work = Directory.CreateTempSubdirectory("batchfn-cli-");
        var input = Path.Combine(work.FullName, "flaky.jsonl");
        await File.WriteAllTextAsync(input, RunnerTestHost.Lines(5));
        var none = new Dictionary<string, string?>();
        (await host.Admin.PostAsync("_emulator/outcomes", new StringContent("""{"status":"FAILED","after_requests":2,"message":"Emulated capacity error"}""", System.Text.Encoding.UTF8, "application/json"))).EnsureSuccessStatusCode();

        try
        {
            var submit = await RunnerProcess.RunToExitAsync(none, "submit", input, "--wait", "--url", runner.Address.ToString(), "-o", Path.Combine(work.FullName, "first"), "--poll-seconds", "0.2");
            var parentId = SubmittedId().Match(submit.Output).Groups["id"].Value;
            var retry = await RunnerProcess.RunToExitAsync(none, "retry", parentId, "--wait", "--url", runner.Address.ToString(), "-o", Path.Combine(work.FullName, "retry"), "--poll-seconds", "0.2");
            var again = await RunnerProcess.RunToExitAsync(none, "retry", SubmittedId().Match(retry.Output).Groups["id"].Value, "--url", runner.Address.ToString());
            var badScope = await RunnerProcess.RunToExitAsync(none, "retry", parentId, "--only", "some", "--url", runner.Address.ToString());

            Assert.Equal(1, submit.ExitCode);
            Assert.True(retry.ExitCode == 0, retry.Output);
            Assert.Contains($"Retrying 3 lines of batch {parentId} (0 failed, 0 missing, 3 not processed)", retry.Output, StringComparison.Ordinal);
            var combined = File.ReadAllLines(Path.Combine(work.FullName, "retry", "combined-results.jsonl"));
            Assert.Equal(File.ReadAllLines(input).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()), combined.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("custom_id").GetString()));
            Assert.False(File.Exists(Path.Combine(work.FullName, "retry", "combined-errors.jsonl")));
            Assert.True(File.Exists(Path.Combine(work.FullName, "retry", "combined-summary.json")));
            Assert.Equal(1, again.ExitCode);
            Assert.Contains("nothing to retry", again.Output, StringComparison.Ordinal);
            Assert.Equal(2, badScope.ExitCode);
        }
        finally
        {
            work.Delete(recursive: true);
        }
    }

    [GeneratedRegex(@"Batch (?<id>bf-[0-9a-f]{32}) started")]
    private static partial Regex SubmittedId();
}
