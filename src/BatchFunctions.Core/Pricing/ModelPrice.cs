namespace BatchFunctions.Core.Pricing;

/// <summary>One model's live prices per million tokens, and the most tokens it can answer with.</summary>
public sealed class ModelPrice
{
    /// <summary>Price of a million input (prompt) tokens at live rates.</summary>
    public decimal InputPerMillion { get; set; }

    /// <summary>Price of a million output (completion) tokens at live rates.</summary>
    public decimal OutputPerMillion { get; set; }

    /// <summary>The most tokens a completion can have (the context window): the bound for a request without max_tokens.</summary>
    public long MaxOutputTokens { get; set; } = 128_000;
}
