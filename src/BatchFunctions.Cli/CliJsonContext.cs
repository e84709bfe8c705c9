using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using BatchFunctions.Core.Jsonl;

namespace BatchFunctions.Cli;

/// <summary>JSON written by the CLI, snake_case like the rest of the wire.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(JsonlValidationReport))]
[JsonSerializable(typeof(BatchFunctions.Core.Pricing.CostEstimate))]
internal sealed partial class CliJsonContext : JsonSerializerContext
{
    /// <summary>For a terminal: quotes and apostrophes as they are, not as \u0022 escapes.</summary>
    public static CliJsonContext Readable { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
