using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Pricing;
using BatchFunctions.Core.Settings;

namespace BatchFunctions.Cli.Commands;

/// <summary><c>batchfn estimate &lt;file&gt;</c>: what a batch will use and cost, before anything is sent.</summary>
internal static class EstimateCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var file = new Argument<FileInfo>("file") { Description = "The JSONL file of requests." };
        var model = new Option<string?>("--model", "-m") { Description = $"The job's model, which is the one priced (default: {new BatchDefaultsOptions().Model})." };
        var endpoint = new Option<string?>("--endpoint", "-e") { Description = $"The job's endpoint (default: {new BatchDefaultsOptions().Endpoint})." };
        var json = new Option<bool>("--json") { Description = "Print the estimate as JSON." };
        var command = new Command("estimate", "Estimate a batch's tokens and cost at batch and live prices (prices: Pricing__* environment variables over dated defaults). Exit 1 when the input is invalid.")
        {
            file, model, endpoint, json,
        };

        command.SetAction(async (parse, cancellationToken) =>
        {
            var path = parse.GetValue(file)!;
            var endpointValue = parse.GetValue(endpoint) ?? new BatchDefaultsOptions().Endpoint;
            if (ValidateCommand.CheckInput(path, endpointValue) is { } problem)
            {
                await error.WriteLineAsync(problem);
                return BatchFnApp.UsageError;
            }

            var jobModel = parse.GetValue(model) ?? new BatchDefaultsOptions().Model;
            var options = new JsonlValidationOptions { Endpoint = ApiEndpoint.FromValue(endpointValue), Model = jobModel, MaxIssues = 20 };
            var report = await ValidateCommand.ValidateFileAsync(path, options, cancellationToken);
            if (!report.IsValid)
            {
                // Nothing to price until it would be accepted: say why, as validate does.
                await ValidationReportPrinter.PrintAsync(error, path.Name, options, report);
                return BatchFnApp.Failure;
            }

            var estimate = CostEstimator.Estimate(report, jobModel, CliPricing.Load());
            if (parse.GetValue(json))
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(estimate, CliJsonContext.Readable.CostEstimate));
            }
            else
            {
                await PrintAsync(output, path.Name, estimate);
            }

            return BatchFnApp.Success;
        });

        return command;
    }

    private static async Task PrintAsync(TextWriter output, string name, CostEstimate estimate)
    {
        var c = CultureInfo.InvariantCulture;
        await output.WriteLineAsync(string.Create(c, $"{name}: {estimate.Requests:N0} requests for {estimate.Model}"));
        await output.WriteLineAsync(string.Create(c, $"  input tokens   ~{estimate.InputTokens:N0} (between {estimate.InputTokensLow:N0} and {estimate.InputTokensHigh:N0}), from {estimate.PromptTextBytes:N0} bytes of prompt text"));
        await output.WriteLineAsync(string.Create(c, $"  output tokens  at most {estimate.OutputTokensBound:N0}{(estimate.RequestsWithoutMaxTokens > 0 ? string.Create(c, $" ({estimate.RequestsWithoutMaxTokens:N0} requests without max_tokens count at the model's limit)") : " (the sum of max_tokens)")}"));
        if (estimate.BatchCost is { } batch && estimate.LiveCost is { } live)
        {
            await output.WriteLineAsync(string.Create(c, $"  cost (batch)   {estimate.Currency} {batch.Low:0.########} to {batch.High:0.########}"));
            await output.WriteLineAsync(string.Create(c, $"  cost (live)    {estimate.Currency} {live.Low:0.########} to {live.High:0.########}   (prices of {estimate.PricesAsOf}; low: no output, high: every output bound reached)"));
        }
        else
        {
            await output.WriteLineAsync($"  cost           unknown: {estimate.Note}");
        }

        await output.WriteLineAsync($"  {estimate.Method}");
    }
}
