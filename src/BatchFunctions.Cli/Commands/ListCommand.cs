using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BatchFunctions.Core;

namespace BatchFunctions.Cli.Commands;

/// <summary><c>batchfn list</c>: a page of batches from a host, newest first.</summary>
internal static class ListCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var status = new Option<string?>("--status", "-s") { Description = "Only batches in this phase (Polling, Completed, ...) or with this outcome (Succeeded, Failed, ...)." };
        var page = new Option<int>("--page") { Description = "The page, from 0.", DefaultValueFactory = _ => 0 };
        var pageSize = new Option<int>("--page-size") { Description = "Batches per page, 1 to 100.", DefaultValueFactory = _ => 20 };
        var json = new Option<bool>("--json") { Description = "Print the page as JSON." };
        var connection = new ApiConnection();
        var command = new Command("list", "List batches, newest first.") { status, page, pageSize, json };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await connection.RunAsync(parse, error, async (client, _) =>
        {
            var list = await client.ListAsync(parse.GetValue(status), parse.GetValue(page), parse.GetValue(pageSize), cancellationToken);
            if (parse.GetValue(json))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(list, BatchJsonContext.Readable.BatchList));
                return BatchFnApp.Success;
            }

            if (list.Batches.Count == 0)
            {
                await output.WriteLineAsync("No batches.");
                return BatchFnApp.Success;
            }

            await output.WriteLineAsync($"{"id",-35}  {"status",-20}  {"done",-13}  {"started (UTC)",-19}  input");
            foreach (var batch in list.Batches)
            {
                var state = batch.Outcome is { } outcome ? outcome.ToString() : batch.Phase.ToString();
                var done = string.Create(CultureInfo.InvariantCulture, $"{batch.Completed}/{batch.Requests}");
                await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"{batch.Id,-35}  {state,-20}  {done,-13}  {batch.StartedAt:yyyy-MM-dd HH:mm:ss}  {batch.InputName}"));
            }

            if (list.NextPage is { } next)
            {
                await output.WriteLineAsync($"More: --page {next}");
            }

            return BatchFnApp.Success;
        }));
        return command;
    }
}
