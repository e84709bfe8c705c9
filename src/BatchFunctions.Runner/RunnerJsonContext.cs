using System.Text.Json.Serialization;

namespace BatchFunctions.Runner;

/// <summary>JSON of the runner's own messages, snake_case like the rest of the wire.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(EventsResponse))]
[JsonSerializable(typeof(ValidationResponse))]
internal sealed partial class RunnerJsonContext : JsonSerializerContext;

/// <summary>What <c>POST /api/events</c> did with a delivery.</summary>
internal sealed record EventsResponse(IReadOnlyList<string> Started, IReadOnlyList<string> Existing, int Ignored);

/// <summary>The Event Grid subscription validation answer (its field name is fixed by Event Grid).</summary>
internal sealed record ValidationResponse([property: JsonPropertyName("validationResponse")] string Code);
