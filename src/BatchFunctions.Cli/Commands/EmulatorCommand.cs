using System.CommandLine;
using BatchFunctions.MistralEmulator;

namespace BatchFunctions.Cli.Commands;

/// <summary><c>batchfn emulator [--urls URL]</c>: runs the Mistral emulator in the foreground until Ctrl-C.</summary>
internal static class EmulatorCommand
{
    public static Command Create(TextWriter output)
    {
        var urls = new Option<string>("--urls") { Description = "Where to listen.", DefaultValueFactory = _ => MistralEmulatorApp.DefaultUrl };
        var command = new Command("emulator", "Run the Mistral Files and Batch Jobs API emulator on loopback (Ctrl-C stops it).") { urls };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var app = MistralEmulatorApp.Build(["--urls", parse.GetValue(urls)!]);
            await app.StartAsync(cancellationToken);
            await output.WriteLineAsync($"Mistral emulator listening on {parse.GetValue(urls)} (any bearer token; admin routes under /_emulator). Ctrl-C stops it.");
            await Foreground.RunUntilStoppedAsync(app, cancellationToken);
            return BatchFnApp.Success;
        });
        return command;
    }
}
