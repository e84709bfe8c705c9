namespace BatchFunctions.Core.Pricing;

/// <summary>What a finished batch cost, from the usage Mistral reported, at batch prices.</summary>
/// <param name="Amount">The total, for the models with a configured price.</param>
/// <param name="LiveAmount">The same tokens at live prices (what the batch saved is the difference).</param>
/// <param name="Currency">The prices' currency.</param>
/// <param name="PricesAsOf">When the prices were taken.</param>
/// <param name="UnpricedModels">Models in the usage with no configured price (their tokens are not in the amount).</param>
public sealed record BatchCost(decimal Amount, decimal LiveAmount, string Currency, string PricesAsOf, IReadOnlyList<string> UnpricedModels);
