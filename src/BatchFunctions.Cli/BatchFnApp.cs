using System.CommandLine;
using BatchFunctions.Cli.Commands;

namespace BatchFunctions.Cli;

/// <summary>The <c>batchfn</c> command line: parses, runs a command, and maps usage errors to exit code 2.</summary>
internal static class BatchFnApp
{
    public const int Success = 0;
    public const int Failure = 1;
    public const int UsageError = 2;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("batchfn: run Mistral batch jobs with BatchFunctions.")
        {
            ValidateCommand.Create(output, error),
            EstimateCommand.Create(output, error),
            RunCommand.Create(output, error),
            ServeCommand.Create(output, error),
            SubmitCommand.Create(output, error),
            StatusCommand.Create(output, error),
            ListCommand.Create(output, error),
            CancelCommand.Create(output, error),
            RetryCommand.Create(output, error),
            ResultsCommand.Create(output, error),
            EmulatorCommand.Create(output),
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var problem in parsed.Errors)
            {
                await error.WriteLineAsync(problem.Message);
            }

            await error.WriteLineAsync("Run 'batchfn --help' for usage.");
            return UsageError;
        }

        try
        {
            return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false }, cancellationToken);
        }
        catch (Exception exception) when (SettingErrors.Describe(exception) is [_, ..] invalid)
        {
            // A setting out of range is the user's to fix: one line each, not a stack trace.
            foreach (var line in invalid)
            {
                await error.WriteLineAsync(line);
            }

            return UsageError;
        }
        catch (OperationCanceledException)
        {
            return Failure;
        }
        catch (Exception exception)
        {
            await error.WriteLineAsync("Unhandled exception: " + exception);
            return Failure;
        }
    }
}
