namespace BatchFunctions.MistralEmulator;

/// <summary>
/// A transient fault to inject on <c>/v1</c> calls: for the next <see cref="Count"/> matching calls, or at a
/// <see cref="Rate"/> (0 to 1) of them.
/// </summary>
internal sealed record FaultRule
{
    /// <summary><c>rate_limit</c> (429), <c>server_error</c> (500), <c>unavailable</c> (503), <c>slow</c>, or <c>drop</c> (connection closed without an answer).</summary>
    public required string Kind { get; init; }

    public int? Count { get; init; }

    public double? Rate { get; init; }

    /// <summary>Only calls whose path starts with this.</summary>
    public string? PathPrefix { get; init; }

    /// <summary>Only calls with this method.</summary>
    public string? Method { get; init; }

    /// <summary>With <c>rate_limit</c>: the <c>Retry-After</c> header value in seconds.</summary>
    public double? RetryAfterSeconds { get; init; }

    /// <summary>With <c>rate_limit</c>: the <c>ratelimitbysize-reset</c> header value in seconds.</summary>
    public double? ResetSeconds { get; init; }

    /// <summary>With <c>slow</c>: how long to wait before answering.</summary>
    public int? DelayMilliseconds { get; init; }
}
