using System.CommandLine;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Cli.Commands;

/// <summary>
/// <c>batchfn submit &lt;file&gt; [--wait]</c>: streams a JSONL file to a host (runner or Function App), which
/// stores it as a new input and starts its batch; with <c>--wait</c>, follows it and downloads its files.
/// </summary>
internal static class SubmitCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var file = new Argument<FileInfo>("file") { Description = "The JSONL file of requests." };
        var name = new Option<string?>("--name") { Description = "The input blob's name (default: the file's name)." };
        var wait = new Option<bool>("--wait", "-w") { Description = "Follow the batch with a live progress display, then download its files." };
        var outputDirectory = new Option<DirectoryInfo?>("--out", "-o") { Description = "With --wait: where to download results.jsonl, errors.jsonl and summary.json." };
        var idempotencyKey = new Option<string?>("--idempotency-key") { Description = "Sent as Idempotency-Key: the same key and file within a day start one batch (default: a new key per run, reused by its own retries)." };
        var interval = new Option<double>("--poll-seconds") { Description = "With --wait: seconds between status reads.", DefaultValueFactory = _ => 2 };
        var job = new JobSettingsOptions();
        var connection = new ApiConnection();
        var command = new Command("submit", "Send a JSONL file to a runner or Function App and start its batch; --wait follows it to the end. Exit 0 when started (with --wait: when it succeeded).")
        {
            file, name, wait, outputDirectory, interval, idempotencyKey,
        };
        job.AddTo(command);
        connection.AddTo(command);

        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            if (!path.Exists)
            {
                await error.WriteLineAsync($"No such file: {path.FullName}");
                return BatchFnApp.UsageError;
            }

            var (settings, problem) = job.Read(parse, parse.GetValue(name) ?? path.Name);
            if (settings is null)
            {
                await error.WriteLineAsync(problem);
                return BatchFnApp.UsageError;
            }

            if (parse.GetValue(interval) is var seconds && seconds is <= 0 or > 3600)
            {
                await error.WriteLineAsync("--poll-seconds must be above 0 and at most 3600.");
                return BatchFnApp.UsageError;
            }

            return await connection.RunAsync(parse, error, async (client, _) =>
            {
                var key = parse.GetValue(idempotencyKey) ?? Guid.NewGuid().ToString();
                var started = await SubmitWithRetriesAsync(client, path, settings, key, error, cancellationToken);

                await output.WriteLineAsync($"Batch {started.Id} {(started.Started ? "started" : "exists already")}: {started.StatusUrl}");
                if (!parse.GetValue(wait))
                {
                    await output.WriteLineAsync(started.Id);
                    return BatchFnApp.Success;
                }

                var status = await FollowAsync(client, started.Id, TimeSpan.FromSeconds(seconds), output, cancellationToken);
                var directory = parse.GetValue(outputDirectory) ?? ResultsDownloader.DefaultDirectory(path.Name, started.Id);
                var files = await ResultsDownloader.DownloadAsync(client, started.Id, directory, cancellationToken);
                await SummaryPrinter.PrintAsync(status, files, output);
                await output.WriteLineAsync($"Downloaded to {directory.FullName}");
                return status.Outcome == BatchOutcome.Succeeded ? BatchFnApp.Success : BatchFnApp.Failure;
            });
        });
        return command;
    }

    /// <summary>
    /// Sends the file, and again with the same key when the answer was lost (connection dropped, 5xx, 408 or
    /// 429): the host answers a repeat with the batch the first attempt started, so a retry never pays twice.
    /// </summary>
    private static async Task<StartBatchResponse> SubmitWithRetriesAsync(BatchApiClient client, FileInfo path, StartBatchRequest settings, string key, TextWriter error, CancellationToken cancellationToken)
    {
        const int Attempts = 3;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await using var content = path.OpenRead();
                return await client.SubmitAsync(content, settings, key, cancellationToken);
            }
            catch (Exception exception) when (attempt < Attempts && exception is HttpRequestException or BatchApiException { Status: >= System.Net.HttpStatusCode.InternalServerError or System.Net.HttpStatusCode.RequestTimeout or System.Net.HttpStatusCode.TooManyRequests })
            {
                await error.WriteLineAsync($"Sending {path.Name} failed ({exception.Message}); trying again with the same Idempotency-Key.");
                await Task.Delay(TimeSpan.FromSeconds(attempt), cancellationToken);
            }
        }
    }

    /// <summary>Reads the batch's status until it is completed, showing progress.</summary>
    public static async Task<BatchStatus> FollowAsync(BatchApiClient client, string id, TimeSpan interval, TextWriter output, CancellationToken cancellationToken)
    {
        var display = new ProgressDisplay(output, TimeProvider.System);
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (true)
            {
                var status = await client.GetAsync(id, cancellationToken) ?? throw new BatchApiException(System.Net.HttpStatusCode.NotFound, "Unknown batch", $"Batch '{id}' disappeared while followed.");
                display.Report(status);
                if (status.Phase == BatchPhase.Completed)
                {
                    return status;
                }

                await timer.WaitForNextTickAsync(cancellationToken);
            }
        }
        finally
        {
            display.Complete();
        }
    }
}
