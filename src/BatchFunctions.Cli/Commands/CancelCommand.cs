using System.CommandLine;

namespace BatchFunctions.Cli.Commands;

/// <summary><c>batchfn cancel &lt;id&gt;</c>: asks a host to cancel a batch.</summary>
internal static class CancelCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var id = new Argument<string>("id") { Description = "The batch's id (bf-...)." };
        var connection = new ApiConnection();
        var command = new Command("cancel", "Cancel a batch: its jobs are cancelled at Mistral and what finished is still collected.") { id };
        connection.AddTo(command);
        command.SetAction(async (parse, cancellationToken) => await connection.RunAsync(parse, error, async (client, _) =>
        {
            var status = await client.CancelAsync(parse.GetValue(id)!, cancellationToken);
            await output.WriteLineAsync($"Cancel of batch {status.Id} requested (phase {status.Phase}); 'batchfn status {status.Id}' follows it.");
            return BatchFnApp.Success;
        }));
        return command;
    }
}
