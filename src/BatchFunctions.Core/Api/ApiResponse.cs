using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace BatchFunctions.Core.Api;

/// <summary>
/// An answer of the HTTP API before a host writes it: the status, JSON text or a stream with its content
/// type, and a Location. Each host turns it into its own response type in a few lines, so both answer alike.
/// </summary>
/// <param name="Status">The HTTP status.</param>
/// <param name="ContentType">The media type.</param>
/// <param name="Text">The body as text (JSON), unless <paramref name="Content"/> is given.</param>
/// <param name="Content">A body streamed from storage.</param>
/// <param name="Location">The Location header, if any.</param>
public sealed record ApiResponse(int Status, string ContentType, string? Text, Stream? Content = null, string? Location = null)
{
    /// <summary>JSON of <paramref name="value"/>, serialised with Core's context so that both hosts answer the same snake_case JSON.</summary>
    public static ApiResponse Json<T>(int status, T value, JsonTypeInfo<T> type, string? location = null) =>
        new(status, "application/json", JsonSerializer.Serialize(value, type), null, location);

    /// <summary>An RFC 9457 problem document.</summary>
    public static ApiResponse Problem(int status, string title, string? detail, IReadOnlyList<string>? errors = null) =>
        new(status, "application/problem+json", JsonSerializer.Serialize(new ApiProblem("about:blank", title, status, detail, errors), BatchJsonContext.Readable.ApiProblem));

    /// <summary>The problem document of a refusal.</summary>
    public static ApiResponse Problem(StartRefused refused)
    {
        ArgumentNullException.ThrowIfNull(refused);
        return Problem(refused.Status, refused.Title, refused.Detail, refused.Errors);
    }
}
