using System.Text.Json.Serialization;

namespace BatchFunctions.Benchmarks;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(MeasurementResult))]
[JsonSerializable(typeof(EndToEndResult))]
[JsonSerializable(typeof(DocsScriptReport))]
[JsonSerializable(typeof(ManyResult))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
