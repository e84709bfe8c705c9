using System.Text.Json;
using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>Reads and writes an <see cref="IOpenValue{TSelf}"/> as its plain string value.</summary>
/// <typeparam name="T">The open enumeration.</typeparam>
public sealed class OpenValueJsonConverter<T> : JsonConverter<T>
    where T : struct, IOpenValue<T>
{
    /// <inheritdoc />
    public override T Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String
            ? T.FromValue(reader.GetString()!)
            : throw new JsonException($"Expected a string for {typeof(T).Name}, found {reader.TokenType}.");

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, T value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value.Value);
    }
}
