namespace BatchFunctions.Core.Mistral;

/// <summary>
/// Mistral answered with an error status. Carries what the server said, parsed from whichever of its
/// error body shapes it used, and never the API key or request content.
/// </summary>
public sealed class MistralApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public MistralApiException(int status, string message, string? errorType = null, string? errorCode = null, string? requestId = null, TimeSpan? retryAfter = null)
        : base(message)
    {
        Status = status;
        ErrorType = errorType;
        ErrorCode = errorCode;
        RequestId = requestId;
        RetryAfter = retryAfter;
    }

    /// <summary>Creates the exception.</summary>
    public MistralApiException()
        : this(0, "Mistral API error.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public MistralApiException(string message)
        : this(0, message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public MistralApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception for a response whose body could not be read.</summary>
    public MistralApiException(int status, string message, Exception innerException)
        : base(message, innerException) => Status = status;

    /// <summary>The HTTP status code; 0 when the server could not be reached or did not answer in time.</summary>
    public int Status { get; }

    /// <summary>Mistral's error type (<c>invalid_request_error</c>, <c>rate_limited</c>, a validation type such as <c>extra_forbidden</c>), if given.</summary>
    public string? ErrorType { get; }

    /// <summary>Mistral's error code (a numeric string such as <c>3040</c>), if given.</summary>
    public string? ErrorCode { get; }

    /// <summary>The request id from the body or the gateway's headers, for support.</summary>
    public string? RequestId { get; }

    /// <summary>How long the server asked us to wait, when it said.</summary>
    public TimeSpan? RetryAfter { get; }

    /// <summary>Whether retrying the same request later may succeed: no answer, 408, 429 or 5xx.</summary>
    public bool IsTransient => Status is 0 or 408 or 429 or >= 500;
}
