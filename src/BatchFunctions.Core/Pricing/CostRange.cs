namespace BatchFunctions.Core.Pricing;

/// <summary>What a batch may cost: from its input alone (every completion empty) to every completion at its bound.</summary>
/// <param name="Low">The least it can cost (input at the low estimate, no output).</param>
/// <param name="High">The most it can cost (input at the high estimate, every output bound reached).</param>
public sealed record CostRange(decimal Low, decimal High);
