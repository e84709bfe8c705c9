namespace BatchFunctions.Core.Mistral;

/// <summary>A time-limited URL to download a file without the API key.</summary>
public sealed record SignedUrl
{
    /// <summary>The URL.</summary>
    public required Uri Url { get; init; }
}
