using System.Text.Json;
using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>Mistral timestamps are integer Unix seconds on the wire.</summary>
public sealed class UnixSecondsJsonConverter : JsonConverter<DateTimeOffset>
{
    /// <inheritdoc />
    public override DateTimeOffset Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType switch
        {
            JsonTokenType.Number when reader.TryGetInt64(out var seconds) => DateTimeOffset.FromUnixTimeSeconds(seconds),
            // Tolerate fractional seconds, which some gateways emit.
            JsonTokenType.Number => DateTimeOffset.FromUnixTimeMilliseconds((long)(reader.GetDouble() * 1000)),
            _ => throw new JsonException($"Expected Unix seconds, found {reader.TokenType}."),
        };

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, DateTimeOffset value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteNumberValue(value.ToUnixTimeSeconds());
    }
}
