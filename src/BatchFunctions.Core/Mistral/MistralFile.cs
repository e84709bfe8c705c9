using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>A file stored at Mistral (upload, retrieve and list responses).</summary>
/// <remarks>
/// Fields that must not default to null when a response omits them are constructor parameters: the JSON
/// source generator gives every other init-only property its type's default when it is missing.
/// </remarks>
public sealed record MistralFile
{
    /// <summary>Creates a file description.</summary>
    [JsonConstructor]
    public MistralFile(string id, string? filename)
    {
        Id = id;
        Filename = filename ?? string.Empty;
    }

    /// <summary>The file id (a UUID).</summary>
    public string Id { get; init; }

    /// <summary>Always <c>file</c>.</summary>
    [JsonPropertyName("object")]
    public string? ObjectType { get; init; }

    /// <summary>Size in bytes. The published examples show <c>null</c> although the schema says integer.</summary>
    public long? Bytes { get; init; }

    /// <summary>When the file was created.</summary>
    [JsonConverter(typeof(UnixSecondsJsonConverter))]
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The name given at upload.</summary>
    public string Filename { get; init; }

    /// <summary>The purpose given at upload.</summary>
    public FilePurpose Purpose { get; init; }

    /// <summary>What the lines are: <c>batch_request</c> for our inputs, <c>batch_result</c>/<c>batch_error</c> for job outputs.</summary>
    public SampleType SampleType { get; init; }

    /// <summary><c>upload</c> for our files, <c>mistral</c> for files a job produced.</summary>
    public FileSource Source { get; init; }

    /// <summary>Number of JSONL lines, when known.</summary>
    public long? NumLines { get; init; }

    /// <summary>MIME type, when known.</summary>
    public string? Mimetype { get; init; }

    /// <summary>An opaque content signature, when known.</summary>
    public string? Signature { get; init; }

    /// <summary>When the file expires, if it does.</summary>
    [JsonConverter(typeof(NullableUnixSecondsJsonConverter))]
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Who may see the file, when reported.</summary>
    public FileVisibility? Visibility { get; init; }

    /// <summary>Only on retrieve: whether the file was deleted.</summary>
    public bool? Deleted { get; init; }
}
