using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>What a file's lines are. Open: unknown values are kept, not rejected.</summary>
[JsonConverter(typeof(OpenValueJsonConverter<SampleType>))]
public readonly record struct SampleType : IOpenValue<SampleType>
{
    private readonly string? _value;

    /// <summary>Wraps a wire value.</summary>
    public SampleType(string value) => _value = value;

    /// <summary><c>pretrain</c>.</summary>
    public static SampleType Pretrain { get; } = new("pretrain");

    /// <summary><c>instruct</c>.</summary>
    public static SampleType Instruct { get; } = new("instruct");

    /// <summary><c>batch_request</c>.</summary>
    public static SampleType BatchRequest { get; } = new("batch_request");

    /// <summary><c>batch_result</c>.</summary>
    public static SampleType BatchResult { get; } = new("batch_result");

    /// <summary><c>batch_error</c>.</summary>
    public static SampleType BatchError { get; } = new("batch_error");

    /// <inheritdoc />
    public string Value => _value ?? string.Empty;

    /// <inheritdoc />
    public static SampleType FromValue(string value) => new(value);

    /// <inheritdoc />
    public override string ToString() => Value;
}
