using System.Text;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Pricing;

namespace BatchFunctions.Core.Tests.Pricing;

public sealed class CostEstimatorTests
{
    [Fact]
    public async Task Estimate_EmbeddingsInputs_CountsEveryStringOfTheInputAndNoOutput()
    {
        const string content = """
            {"custom_id":"a","body":{"input":"abcdefgh"}}
            {"custom_id":"b","body":{"input":["abcd","efgh","\u00e9t\u00e9"]}}
            """;
        var report = await JsonlValidator.ValidateAsync(new MemoryStream(Encoding.UTF8.GetBytes(content + "\n")), new JsonlValidationOptions { Endpoint = ApiEndpoint.Embeddings });

        var estimate = CostEstimator.Estimate(report, "mistral-embed", new PricingOptions());

        // Bytes as written: the escapes count as their 6 characters each (a slight over-estimate, never an under-count of text).
        Assert.Equal(8 + 4 + 4 + 13, estimate.PromptTextBytes);
        Assert.Equal((long)Math.Ceiling(29 / 4.0), estimate.InputTokens);
        // mistral-embed answers no completion tokens: its limit is 0, so requests without max_tokens add nothing.
        Assert.Equal(0, estimate.OutputTokensBound);
        Assert.Equal(estimate.InputTokensHigh * 0.1m / 1_000_000m * 0.5m, estimate.BatchCost!.High);
    }

    [Fact]
    public async Task Estimate_MaxTokensNotAWholeNumber_CountsTheRequestAsHavingNone()
    {
        const string content = """
            {"custom_id":"a","body":{"max_tokens":12,"messages":[{"role":"user","content":"x"}]}}
            {"custom_id":"b","body":{"max_tokens":1.5,"messages":[{"role":"user","content":"x"}]}}
            {"custom_id":"c","body":{"max_tokens":"9","messages":[{"role":"user","content":"x"}]}}
            """;
        var report = await JsonlValidator.ValidateAsync(new MemoryStream(Encoding.UTF8.GetBytes(content + "\n")), new JsonlValidationOptions { Endpoint = ApiEndpoint.ChatCompletions });

        var estimate = CostEstimator.Estimate(report, "mistral-small-latest", new PricingOptions());

        Assert.Equal(2, estimate.RequestsWithoutMaxTokens);
        Assert.Equal(12 + (2 * 128_000), estimate.OutputTokensBound);
    }

    [Fact]
    public void CostOf_UsageOfPricedAndUnpricedModels_AddsThePricedAndNamesTheOthers()
    {
        var usage = new BatchUsage
        {
            Requests = 3, Succeeded = 3, Failed = 0, Missing = 0, Unmatched = 0, Duplicates = 0, PromptTokens = 3_000_000, CompletionTokens = 1_000_000, TotalTokens = 4_000_000,
            Models = new Dictionary<string, ModelUsage>
            {
                ["mistral-large-latest"] = new(2, 2_000_000, 1_000_000, 3_000_000),
                ["my-fine-tune"] = new(1, 1_000_000, 0, 1_000_000),
            },
        };

        var cost = CostEstimator.CostOf(usage, new PricingOptions())!;

        // 2M in at 2 and 1M out at 6 per million: 10 live, 5 in a batch.
        Assert.Equal((5m, 10m), (cost.Amount, cost.LiveAmount));
        Assert.Equal(["my-fine-tune"], cost.UnpricedModels);
        Assert.Equal(PricingOptions.DefaultsAsOf, cost.PricesAsOf);
    }

    [Fact]
    public void CostOf_NoUsage_IsNull() => Assert.Null(CostEstimator.CostOf(null, new PricingOptions()));
}
