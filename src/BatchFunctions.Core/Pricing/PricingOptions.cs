namespace BatchFunctions.Core.Pricing;

/// <summary>
/// What tokens cost, per model, for estimates before a batch and its cost after. Bound from the <c>Pricing</c>
/// section; the defaults are Mistral's public prices on <see cref="DefaultsAsOf"/> and go stale: set your own.
/// </summary>
public sealed class PricingOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Pricing";

    /// <summary>When the default prices were read from mistral.ai/pricing.</summary>
    public const string DefaultsAsOf = "2025-06-01";

    /// <summary>The currency of every price.</summary>
    public string Currency { get; set; } = "USD";

    /// <summary>When the configured prices were taken (shown next to every figure).</summary>
    public string AsOf { get; set; } = DefaultsAsOf;

    /// <summary>The share of the live price a batch request costs (Mistral documents 50%).</summary>
    public decimal BatchFactor { get; set; } = 0.5m;

    /// <summary>UTF-8 bytes of prompt text per token, for the estimate (no Mistral tokenizer is packaged for .NET).</summary>
    public double BytesPerToken { get; set; } = 4.0;

    /// <summary>Tokens each message adds beyond its text (role and control tokens).</summary>
    public int TokensPerMessage { get; set; } = 4;

    /// <summary>How far the estimated input tokens may be from the real count, as a share (0.3 = 30%).</summary>
    public double EstimateError { get; set; } = 0.3;

    /// <summary>Prices per model name as the job gives it (a <c>-latest</c> alias and its versions are separate entries).</summary>
    public Dictionary<string, ModelPrice> Models { get; set; } = Defaults();

    /// <summary>The price of <paramref name="model"/>, if one is configured.</summary>
    public ModelPrice? PriceOf(string? model) => model is not null && Models.TryGetValue(model, out var price) ? price : null;

    /// <summary>Mistral's live prices per million tokens on <see cref="DefaultsAsOf"/>.</summary>
    public static Dictionary<string, ModelPrice> Defaults() => new(StringComparer.Ordinal)
    {
        ["mistral-small-latest"] = Price(0.1m, 0.3m),
        ["mistral-medium-latest"] = Price(0.4m, 2m),
        ["mistral-large-latest"] = Price(2m, 6m),
        ["magistral-small-latest"] = Price(0.5m, 1.5m, 40_000),
        ["magistral-medium-latest"] = Price(2m, 5m, 40_000),
        ["codestral-latest"] = Price(0.3m, 0.9m, 256_000),
        ["devstral-small-latest"] = Price(0.1m, 0.3m),
        ["ministral-8b-latest"] = Price(0.1m, 0.1m),
        ["ministral-3b-latest"] = Price(0.04m, 0.04m),
        ["open-mistral-nemo"] = Price(0.15m, 0.15m),
        ["pixtral-large-latest"] = Price(2m, 6m),
        ["mistral-embed"] = Price(0.1m, 0m, 0),
        ["mistral-moderation-latest"] = Price(0.1m, 0m, 0),
    };

    private static ModelPrice Price(decimal input, decimal output, long maxOutput = 128_000) =>
        new() { InputPerMillion = input, OutputPerMillion = output, MaxOutputTokens = maxOutput };
}
