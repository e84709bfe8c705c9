namespace BatchFunctions.Core.Pricing;

/// <summary>What a batch will use and cost before it is sent: for <c>batchfn estimate</c>, <c>validate --json</c> and a dry run.</summary>
/// <param name="Model">The model the jobs will run (the job's, whatever the lines say).</param>
/// <param name="Requests">Requests in the input.</param>
/// <param name="PromptTextBytes">UTF-8 bytes of the prompt text (message contents, inputs), as written in the JSON.</param>
/// <param name="InputTokens">Estimated input tokens.</param>
/// <param name="InputTokensLow">The estimate less its expected error.</param>
/// <param name="InputTokensHigh">The estimate plus its expected error.</param>
/// <param name="OutputTokensBound">The most output tokens: each request's max_tokens, or the model's limit where it has none.</param>
/// <param name="RequestsWithoutMaxTokens">Requests with no max_tokens (bounded by the model's limit, so the bound is loose).</param>
/// <param name="Method">How the input tokens were estimated, and how wrong that may be.</param>
/// <param name="Currency">The prices' currency.</param>
/// <param name="PricesAsOf">When the prices were taken.</param>
/// <param name="BatchCost">The cost at batch prices; null when the model has no configured price.</param>
/// <param name="LiveCost">The same requests at live prices.</param>
/// <param name="Note">Why there is no cost, when there is none.</param>
public sealed record CostEstimate(
    string? Model,
    long Requests,
    long PromptTextBytes,
    long InputTokens,
    long InputTokensLow,
    long InputTokensHigh,
    long OutputTokensBound,
    long RequestsWithoutMaxTokens,
    string Method,
    string Currency,
    string PricesAsOf,
    CostRange? BatchCost,
    CostRange? LiveCost,
    string? Note);
