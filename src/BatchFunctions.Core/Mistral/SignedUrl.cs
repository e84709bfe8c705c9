namespace BatchFunctions.Core.Mistral;

/// <summary>A time-limited URL to download a file without the API key.</summary>
/// <param name="Url">The URL.</param>
public sealed record SignedUrl(Uri Url);
