using System.Text.Json.Serialization;

namespace BatchFunctions.Benchmarks;

[JsonSerializable(typeof(MeasurementResult))]
[JsonSerializable(typeof(EndToEndResult))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
