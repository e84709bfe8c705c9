using System.Globalization;
using BatchFunctions.Core.Jsonl;

namespace BatchFunctions.Core.Pricing;

/// <summary>Turns a validation's figures into an estimate, and a finished batch's usage into its cost.</summary>
public static class CostEstimator
{
    /// <summary>The estimate for a validated input run with <paramref name="model"/>.</summary>
    public static CostEstimate Estimate(JsonlValidationReport report, string? model, PricingOptions pricing)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(pricing);
        var price = pricing.PriceOf(model);
        var input = (long)Math.Ceiling(report.PromptTextBytes / pricing.BytesPerToken) + (report.Messages * pricing.TokensPerMessage);
        var low = (long)Math.Floor(input * (1 - pricing.EstimateError));
        var high = (long)Math.Ceiling(input * (1 + pricing.EstimateError));
        var output = report.MaxTokens + (report.RequestsWithoutMaxTokens * (price?.MaxOutputTokens ?? 0));
        var method = string.Create(
            CultureInfo.InvariantCulture,
            $"Input tokens estimated as UTF-8 bytes of the prompt text / {pricing.BytesPerToken} + {pricing.TokensPerMessage} per message (no Mistral tokenizer is packaged for .NET); expect within {pricing.EstimateError * 100:0}% for prose in Latin scripts, further for code, JSON or other scripts. Output is bounded by max_tokens, or by the model's limit where a request has none.");
        string? note = null;
        if (price is null)
        {
            note = $"No price is configured for model '{model ?? "(none)"}': set Pricing:Models:{model ?? "<model>"}:InputPerMillion and :OutputPerMillion. The output bound leaves out the {report.RequestsWithoutMaxTokens} requests without max_tokens.";
        }

        return new CostEstimate(
            model,
            report.Requests,
            report.PromptTextBytes,
            input,
            low,
            high,
            output,
            report.RequestsWithoutMaxTokens,
            method,
            pricing.Currency,
            pricing.AsOf,
            price is null ? null : Range(price, low, high, output, pricing.BatchFactor),
            price is null ? null : Range(price, low, high, output, 1m),
            note);
    }

    /// <summary>What <paramref name="usage"/> cost at batch prices; null when there is no usage.</summary>
    public static BatchCost? CostOf(BatchUsage? usage, PricingOptions pricing)
    {
        ArgumentNullException.ThrowIfNull(pricing);
        if (usage is null)
        {
            return null;
        }

        var live = 0m;
        var unpriced = new List<string>();
        foreach (var (model, tokens) in usage.Models.OrderBy(m => m.Key, StringComparer.Ordinal))
        {
            if (pricing.PriceOf(model) is not { } price)
            {
                unpriced.Add(model);
                continue;
            }

            live += ((tokens.PromptTokens * price.InputPerMillion) + (tokens.CompletionTokens * price.OutputPerMillion)) / 1_000_000m;
        }

        return new BatchCost(live * pricing.BatchFactor, live, pricing.Currency, pricing.AsOf, unpriced);
    }

    // Exact: token counts are whole and prices decimal, and a batch of small requests costs fractions of a cent.
    private static CostRange Range(ModelPrice price, long inputLow, long inputHigh, long output, decimal factor) => new(
        inputLow * price.InputPerMillion / 1_000_000m * factor,
        ((inputHigh * price.InputPerMillion) + (output * price.OutputPerMillion)) / 1_000_000m * factor);
}
