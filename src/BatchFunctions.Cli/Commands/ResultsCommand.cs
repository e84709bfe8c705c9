using System.CommandLine;

namespace BatchFunctions.Cli.Commands;

/// <summary><c>batchfn results &lt;id&gt; [-o DIR]</c>: downloads a batch's files from a host (by default where <c>submit --wait</c> puts them).</summary>
internal static class ResultsCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var id = new Argument<string>("id") { Description = "The batch's id (bf-...)." };
        var outputDirectory = new Option<DirectoryInfo?>("--out", "-o") { Description = "Where to write results.jsonl, errors.jsonl, summary.json and rejection.json (default: batchfn-results/<input name>-<id>, as submit --wait)." };
        var connection = new ApiConnection();
        var command = new Command("results", "Download a batch's files. Exit 0 when it has any.") { id, outputDirectory };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await connection.RunAsync(parse, error, async (client, _) =>
        {
            var batch = parse.GetValue(id)!;
            if (await client.GetAsync(batch, cancellationToken) is not { } status)
            {
                await error.WriteLineAsync($"No batch '{batch}'.");
                return BatchFnApp.Failure;
            }

            var directory = parse.GetValue(outputDirectory) ?? ResultsDownloader.DefaultDirectory(status.InputName, batch);
            var files = await ResultsDownloader.DownloadAsync(client, batch, directory, cancellationToken);
            foreach (var file in files)
            {
                await output.WriteLineAsync(file);
            }

            if (files.Count == 0)
            {
                await error.WriteLineAsync($"Batch {batch} has no files yet ({status.Phase}); nothing was written.");
                return BatchFnApp.Failure;
            }

            return BatchFnApp.Success;
        }));
        return command;
    }
}
