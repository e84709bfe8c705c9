using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BatchFunctions.Core;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Cli.Commands;

/// <summary><c>batchfn status &lt;id&gt;</c>: one batch's status from a host.</summary>
internal static class StatusCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var id = new Argument<string>("id") { Description = "The batch's id (bf-...)." };
        var json = new Option<bool>("--json") { Description = "Print the status record as JSON." };
        var connection = new ApiConnection();
        var command = new Command("status", "Show a batch's status. Exit 0 when found.") { id, json };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await connection.RunAsync(parse, error, async (client, _) =>
        {
            if (await client.GetAsync(parse.GetValue(id)!, cancellationToken) is not { } status)
            {
                await error.WriteLineAsync($"No batch '{parse.GetValue(id)}'.");
                return BatchFnApp.Failure;
            }

            if (parse.GetValue(json))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(status, BatchJsonContext.Readable.BatchStatus));
                return BatchFnApp.Success;
            }

            await PrintAsync(status, output);
            return BatchFnApp.Success;
        }));
        return command;
    }

    public static async Task PrintAsync(BatchStatus status, TextWriter output)
    {
        await output.WriteLineAsync($"Batch {status.Id}: {status.Message}");
        await output.WriteLineAsync($"  input     {status.InputContainer}/{status.InputName}");
        await output.WriteLineAsync($"  phase     {status.Phase}{(status.Outcome is { } outcome ? " (" + outcome + ")" : string.Empty)}{(status.CancelRequested ? ", cancel requested" : string.Empty)}");
        var percent = status.PercentDone is { } share ? string.Create(CultureInfo.InvariantCulture, $" ({share:0.#}%)") : string.Empty;
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  requests  {status.Completed}/{status.Requests} done{percent}: succeeded {status.Succeeded}, failed {status.Failed}"));
        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  started   {status.StartedAt:u}{(status.CompletedAt is { } done ? ", completed " + done.ToString("u", CultureInfo.InvariantCulture) : string.Empty)}{(status.EstimatedCompletion is { } eta ? ", done about " + eta.ToString("u", CultureInfo.InvariantCulture) : string.Empty)}"));
        foreach (var part in status.Parts)
        {
            await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"  part {part.Part}    job {part.JobId ?? "(none yet)"} {part.JobStatus ?? string.Empty} {part.Completed}/{part.Requests}"));
        }

        if (status.Failure is { } failure)
        {
            await output.WriteLineAsync($"  failure   {failure}");
        }
        else if (status.LastError is { } last)
        {
            await output.WriteLineAsync($"  retrying  {last}");
        }

        foreach (var (label, uri) in new[] { ("results", status.Outputs?.Results), ("errors", status.Outputs?.Errors), ("summary", status.Outputs?.Summary), ("rejection", status.Outputs?.Rejection) })
        {
            if (uri is not null)
            {
                await output.WriteLineAsync($"  {label,-9} {uri}");
            }
        }
    }
}
