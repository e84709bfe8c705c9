using System.CommandLine;
using System.Text.Json;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Pricing;
using BatchFunctions.Core.Settings;

namespace BatchFunctions.Cli.Commands;

/// <summary><c>batchfn validate &lt;file&gt;</c>: checks a JSONL input as the workflow would, without submitting it.</summary>
internal static class ValidateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var file = new Argument<FileInfo>("file") { Description = "The JSONL file of requests ({\"custom_id\": ..., \"body\": {...}} per line)." };
        var endpoint = new Option<string?>("--endpoint", "-e") { Description = $"The job's endpoint; bodies get its checks (default: the workflow's default, {new BatchDefaultsOptions().Endpoint}, as the batch would)." };
        var model = new Option<string?>("--model", "-m") { Description = "The job's model; a different model in a body is warned about." };
        var json = new Option<bool>("--json") { Description = "Print the report as JSON." };
        var maxLineBytes = new Option<int>("--max-line-bytes") { Description = "The longest line accepted.", DefaultValueFactory = _ => new JsonlValidationOptions().MaxLineBytes };
        var maxIssues = new Option<int>("--max-issues") { Description = "How many errors and warnings to show (all are counted).", DefaultValueFactory = _ => 20 };

        var command = new Command("validate", "Check a JSONL batch input: exit 0 when valid, 1 when invalid, 2 on a usage error.")
        {
            file, endpoint, model, json, maxLineBytes, maxIssues,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            var endpointValue = parse.GetValue(endpoint) ?? new BatchDefaultsOptions().Endpoint;
            if (CheckInput(path, endpointValue) is { } problem)
            {
                await error.WriteLineAsync(problem);
                return BatchFnApp.UsageError;
            }

            if (parse.GetValue(maxLineBytes) < 1 || parse.GetValue(maxIssues) < 0)
            {
                await error.WriteLineAsync("--max-line-bytes must be positive and --max-issues not negative.");
                return BatchFnApp.UsageError;
            }

            var options = new JsonlValidationOptions
            {
                Endpoint = ApiEndpoint.FromValue(endpointValue),
                Model = parse.GetValue(model),
                MaxLineBytes = parse.GetValue(maxLineBytes),
                MaxIssues = parse.GetValue(maxIssues),
            };

            var report = await ValidateFileAsync(path, options, cancellationToken);
            if (report.IsValid)
            {
                // The job runs the default model when none is given, so that is what the estimate prices.
                report = report with { Estimate = CostEstimator.Estimate(report, options.Model ?? new BatchDefaultsOptions().Model, CliPricing.Load()) };
            }

            if (parse.GetValue(json))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(report, CliJsonContext.Readable.JsonlValidationReport));
            }
            else
            {
                await ValidationReportPrinter.PrintAsync(output, path.Name, options, report);
            }

            return report.IsValid ? BatchFnApp.Success : BatchFnApp.Failure;
        });

        return command;
    }

    /// <summary>Why <paramref name="path"/> and <paramref name="endpoint"/> cannot be validated (a usage error), or null.</summary>
    internal static string? CheckInput(FileInfo path, string endpoint) =>
        !ApiEndpoint.Known.Contains(ApiEndpoint.FromValue(endpoint)) ? $"Unknown endpoint '{endpoint}'. Known: {string.Join(", ", ApiEndpoint.Known)}."
        : !path.Exists ? $"No such file: {path.FullName}"
        : null;

    /// <summary>Validates <paramref name="path"/> as the workflow would, streaming it once.</summary>
    internal static async Task<JsonlValidationReport> ValidateFileAsync(FileInfo path, JsonlValidationOptions options, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        return await JsonlValidator.ValidateAsync(stream, options with { ExpectedBytes = stream.Length }, cancellationToken);
    }
}
