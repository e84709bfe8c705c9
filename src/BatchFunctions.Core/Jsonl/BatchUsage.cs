namespace BatchFunctions.Core.Jsonl;

/// <summary>What a batch's results add up to, for <c>summary.json</c>: every input request is succeeded, failed, missing or not processed.</summary>
public sealed record BatchUsage
{
    /// <summary>Requests in the input.</summary>
    public required long Requests { get; init; }

    /// <summary>Requests with a 2xx response and no error.</summary>
    public required long Succeeded { get; init; }

    /// <summary>Requests with an error or a non-2xx response (Succeeded + Failed + Missing + NotProcessed = Requests).</summary>
    public required long Failed { get; init; }

    /// <summary>Requests a job that succeeded returned no line for (written to the errors as <c>missing_result</c>).</summary>
    public required long Missing { get; init; }

    /// <summary>
    /// Requests never processed because the batch was cancelled, timed out or failed (written to the errors as
    /// <c>cancelled</c>, <c>timed_out</c> or <c>job_failed</c>).
    /// </summary>
    public long NotProcessed { get; init; }

    /// <summary>Result lines whose custom_id matches no input request (kept, after the matched ones).</summary>
    public required long Unmatched { get; init; }

    /// <summary>Further result lines for a custom_id that already had one (dropped; the first wins, successes first).</summary>
    public required long Duplicates { get; init; }

    /// <summary>Prompt tokens of the successful requests.</summary>
    public required long PromptTokens { get; init; }

    /// <summary>Completion tokens of the successful requests.</summary>
    public required long CompletionTokens { get; init; }

    /// <summary>Total tokens of the successful requests.</summary>
    public required long TotalTokens { get; init; }

    /// <summary>The same figures per model named in the responses.</summary>
    public required IReadOnlyDictionary<string, ModelUsage> Models { get; init; }

    /// <summary>The figures of several parts added up (models by name).</summary>
    public static BatchUsage Sum(IEnumerable<BatchUsage> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        long requests = 0, succeeded = 0, failed = 0, missing = 0, notProcessed = 0, unmatched = 0, duplicates = 0, prompt = 0, completion = 0, total = 0;
        var models = new Dictionary<string, ModelUsage>(StringComparer.Ordinal);
        foreach (var part in parts)
        {
            requests += part.Requests;
            succeeded += part.Succeeded;
            failed += part.Failed;
            missing += part.Missing;
            notProcessed += part.NotProcessed;
            unmatched += part.Unmatched;
            duplicates += part.Duplicates;
            prompt += part.PromptTokens;
            completion += part.CompletionTokens;
            total += part.TotalTokens;
            foreach (var (name, usage) in part.Models)
            {
                models[name] = models.TryGetValue(name, out var sum)
                    ? new ModelUsage(sum.Requests + usage.Requests, sum.PromptTokens + usage.PromptTokens, sum.CompletionTokens + usage.CompletionTokens, sum.TotalTokens + usage.TotalTokens)
                    : usage;
            }
        }

        return new BatchUsage
        {
            Requests = requests,
            Succeeded = succeeded,
            Failed = failed,
            Missing = missing,
            NotProcessed = notProcessed,
            Unmatched = unmatched,
            Duplicates = duplicates,
            PromptTokens = prompt,
            CompletionTokens = completion,
            TotalTokens = total,
            Models = models,
        };
    }
}
