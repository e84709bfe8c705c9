namespace BatchFunctions.Core.Mistral;

/// <summary>Per-request settings read by the resilience pipeline.</summary>
internal static class MistralHttpOptions
{
    public static readonly HttpRequestOptionsKey<MistralRetryMode> RetryMode = new("BatchFunctions.Mistral.RetryMode");

    public static readonly HttpRequestOptionsKey<TimeSpan> AttemptTimeout = new("BatchFunctions.Mistral.AttemptTimeout");
}
