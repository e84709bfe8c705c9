namespace BatchFunctions.Core.Mistral;

/// <summary>Which transient failures the HTTP pipeline may retry for one request.</summary>
internal enum MistralRetryMode
{
    /// <summary>Transport errors, timeouts, 408, 429 and 5xx: the request is safe to send again.</summary>
    Transient,

    /// <summary>Only 429: the server refused the request before doing anything with it.</summary>
    RateLimitedOnly,

    /// <summary>Never: the request cannot be sent again (its body stream cannot be rewound).</summary>
    None,
}
