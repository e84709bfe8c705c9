using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>Who may see a file. Open: unknown values are kept, not rejected.</summary>
[JsonConverter(typeof(OpenValueJsonConverter<FileVisibility>))]
public readonly record struct FileVisibility : IOpenValue<FileVisibility>
{
    private readonly string? _value;

    /// <summary>Wraps a wire value.</summary>
    public FileVisibility(string value) => _value = value;

    /// <summary><c>workspace</c>.</summary>
    public static FileVisibility Workspace { get; } = new("workspace");

    /// <summary><c>user</c>.</summary>
    public static FileVisibility User { get; } = new("user");

    /// <inheritdoc />
    public string Value => _value ?? string.Empty;

    /// <inheritdoc />
    public static FileVisibility FromValue(string value) => new(value);

    /// <inheritdoc />
    public override string ToString() => Value;
}
