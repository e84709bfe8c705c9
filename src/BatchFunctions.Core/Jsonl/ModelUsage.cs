namespace BatchFunctions.Core.Jsonl;

/// <summary>Successful requests and tokens of one model.</summary>
public sealed record ModelUsage(long Requests, long PromptTokens, long CompletionTokens, long TotalTokens);
