using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>One page of files.</summary>
public sealed record MistralFileList
{
    /// <summary>Creates a page.</summary>
    [JsonConstructor]
    public MistralFileList(IReadOnlyList<MistralFile>? data) => Data = data ?? [];

    /// <summary>The files on this page.</summary>
    public IReadOnlyList<MistralFile> Data { get; init; }

    /// <summary>Always <c>list</c>.</summary>
    [JsonPropertyName("object")]
    public string? ObjectType { get; init; }

    /// <summary>All matching files, or <c>null</c> when not asked for.</summary>
    public long? Total { get; init; }
}
