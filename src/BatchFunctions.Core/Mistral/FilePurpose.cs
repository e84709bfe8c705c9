using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>The purpose of an uploaded file. Open: unknown values are kept, not rejected.</summary>
[JsonConverter(typeof(OpenValueJsonConverter<FilePurpose>))]
public readonly record struct FilePurpose : IOpenValue<FilePurpose>
{
    private readonly string? _value;

    /// <summary>Wraps a wire value.</summary>
    public FilePurpose(string value) => _value = value;

    /// <summary><c>fine-tune</c>.</summary>
    public static FilePurpose FineTune { get; } = new("fine-tune");

    /// <summary><c>batch</c>.</summary>
    public static FilePurpose Batch { get; } = new("batch");

    /// <summary><c>ocr</c>.</summary>
    public static FilePurpose Ocr { get; } = new("ocr");

    /// <inheritdoc />
    public string Value => _value ?? string.Empty;

    /// <inheritdoc />
    public static FilePurpose FromValue(string value) => new(value);

    /// <inheritdoc />
    public override string ToString() => Value;
}
