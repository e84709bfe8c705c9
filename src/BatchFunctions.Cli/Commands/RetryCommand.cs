using System.CommandLine;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Cli.Commands;

/// <summary>
/// <c>batchfn retry &lt;id&gt; [--only failed|missing|cancelled|all] [--model M] [--wait]</c>: starts a batch of
/// the lines of a finished batch that did not succeed; with <c>--wait</c>, follows it and downloads its files,
/// the combined ones for the whole original input among them.
/// </summary>
internal static class RetryCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var id = new Argument<string>("id") { Description = "The finished batch's id (bf-...)." };
        var only = new Option<string?>("--only") { Description = "Which lines: failed, missing, cancelled or all (default: failed, missing, cancelled and timed out, but not those a retry cannot change)." };
        only.AcceptOnlyFromAmong("failed", "missing", "cancelled", "all");
        var model = new Option<string?>("--model", "-m") { Description = "Run the retry on another model (default: the batch's)." };
        var wait = new Option<bool>("--wait", "-w") { Description = "Follow the retry, then download its files and the combined ones." };
        var outputDirectory = new Option<DirectoryInfo?>("--out", "-o") { Description = "With --wait: where to download the files." };
        var idempotencyKey = new Option<string?>("--idempotency-key") { Description = "Sent as Idempotency-Key: the same key and request within a day start one retry." };
        var interval = new Option<double>("--poll-seconds") { Description = "With --wait: seconds between status reads.", DefaultValueFactory = _ => 2 };
        var connection = new ApiConnection();
        var command = new Command("retry", "Start a batch of the lines of a finished batch that did not succeed. Exit 0 when started (with --wait: when it succeeded), 1 when there is nothing to retry.")
        {
            id, only, model, wait, outputDirectory, interval, idempotencyKey,
        };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(interval) is var seconds && seconds is <= 0 or > 3600)
            {
                await error.WriteLineAsync("--poll-seconds must be above 0 and at most 3600.");
                return BatchFnApp.UsageError;
            }

            return await connection.RunAsync(parse, error, async (client, _) =>
            {
                var key = parse.GetValue(idempotencyKey) ?? Guid.NewGuid().ToString();
                var started = await client.RetryAsync(parse.GetValue(id)!, parse.GetValue(only), parse.GetValue(model), key, cancellationToken);
                await output.WriteLineAsync(started.Retry?.Message ?? $"Retry {started.Id} of {parse.GetValue(id)}.");
                await output.WriteLineAsync($"Batch {started.Id} {(started.Started ? "started" : "exists already")}: {started.StatusUrl}");
                if (!parse.GetValue(wait))
                {
                    await output.WriteLineAsync(started.Id);
                    return BatchFnApp.Success;
                }

                var status = await SubmitCommand.FollowAsync(client, started.Id, TimeSpan.FromSeconds(seconds), output, cancellationToken);
                var directory = parse.GetValue(outputDirectory) ?? ResultsDownloader.DefaultDirectory("retry", started.Id);
                var files = await ResultsDownloader.DownloadAsync(client, started.Id, directory, cancellationToken);
                await SummaryPrinter.PrintAsync(status, files, output);
                await output.WriteLineAsync($"Downloaded to {directory.FullName}");
                return status.Outcome == BatchOutcome.Succeeded ? BatchFnApp.Success : BatchFnApp.Failure;
            });
        });
        return command;
    }
}
