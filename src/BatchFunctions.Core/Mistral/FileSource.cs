using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>Where a file came from. Open: unknown values are kept, not rejected.</summary>
[JsonConverter(typeof(OpenValueJsonConverter<FileSource>))]
public readonly record struct FileSource : IOpenValue<FileSource>
{
    private readonly string? _value;

    /// <summary>Wraps a wire value.</summary>
    public FileSource(string value) => _value = value;

    /// <summary><c>upload</c>.</summary>
    public static FileSource Upload { get; } = new("upload");

    /// <summary><c>repository</c>.</summary>
    public static FileSource Repository { get; } = new("repository");

    /// <summary><c>mistral</c>.</summary>
    public static FileSource Mistral { get; } = new("mistral");

    /// <inheritdoc />
    public string Value => _value ?? string.Empty;

    /// <inheritdoc />
    public static FileSource FromValue(string value) => new(value);

    /// <inheritdoc />
    public override string ToString() => Value;
}
