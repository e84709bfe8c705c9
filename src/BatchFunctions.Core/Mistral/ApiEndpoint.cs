using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>The API endpoint a batch job's requests go to. Open: unknown values are kept, not rejected.</summary>
[JsonConverter(typeof(OpenValueJsonConverter<ApiEndpoint>))]
public readonly record struct ApiEndpoint : IOpenValue<ApiEndpoint>
{
    private readonly string? _value;

    /// <summary>Wraps a wire value.</summary>
    public ApiEndpoint(string value) => _value = value;

    /// <summary><c>/v1/chat/completions</c>.</summary>
    public static ApiEndpoint ChatCompletions { get; } = new("/v1/chat/completions");

    /// <summary><c>/v1/embeddings</c>.</summary>
    public static ApiEndpoint Embeddings { get; } = new("/v1/embeddings");

    /// <summary><c>/v1/fim/completions</c>.</summary>
    public static ApiEndpoint FimCompletions { get; } = new("/v1/fim/completions");

    /// <summary><c>/v1/moderations</c>.</summary>
    public static ApiEndpoint Moderations { get; } = new("/v1/moderations");

    /// <summary><c>/v1/chat/moderations</c>.</summary>
    public static ApiEndpoint ChatModerations { get; } = new("/v1/chat/moderations");

    /// <summary><c>/v1/ocr</c>.</summary>
    public static ApiEndpoint Ocr { get; } = new("/v1/ocr");

    /// <summary><c>/v1/classifications</c>.</summary>
    public static ApiEndpoint Classifications { get; } = new("/v1/classifications");

    /// <summary><c>/v1/chat/classifications</c>.</summary>
    public static ApiEndpoint ChatClassifications { get; } = new("/v1/chat/classifications");

    /// <summary><c>/v1/conversations</c>.</summary>
    public static ApiEndpoint Conversations { get; } = new("/v1/conversations");

    /// <summary><c>/v1/audio/transcriptions</c>.</summary>
    public static ApiEndpoint AudioTranscriptions { get; } = new("/v1/audio/transcriptions");

    /// <summary>Every endpoint the published contract lists.</summary>
    public static IReadOnlyList<ApiEndpoint> Known { get; } =
    [
        ChatCompletions, Embeddings, FimCompletions, Moderations, ChatModerations,
        Ocr, Classifications, ChatClassifications, Conversations, AudioTranscriptions,
    ];

    /// <inheritdoc />
    public string Value => _value ?? string.Empty;

    /// <inheritdoc />
    public static ApiEndpoint FromValue(string value) => new(value);

    /// <inheritdoc />
    public override string ToString() => Value;
}
