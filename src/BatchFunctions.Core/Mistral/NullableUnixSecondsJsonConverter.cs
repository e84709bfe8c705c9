using System.Text.Json;
using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>Nullable Unix-seconds timestamps (<c>started_at</c>, <c>completed_at</c>, <c>expires_at</c>).</summary>
public sealed class NullableUnixSecondsJsonConverter : JsonConverter<DateTimeOffset?>
{
    private static readonly UnixSecondsJsonConverter Inner = new();

    /// <inheritdoc />
    public override bool HandleNull => true;

    /// <inheritdoc />
    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null : Inner.Read(ref reader, typeof(DateTimeOffset), options);

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        if (value is { } timestamp)
        {
            Inner.Write(writer, timestamp, options);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
