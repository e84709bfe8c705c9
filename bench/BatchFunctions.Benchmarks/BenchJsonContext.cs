using System.Text.Json.Serialization;

namespace BatchFunctions.Benchmarks;

[JsonSerializable(typeof(MeasurementResult))]
internal sealed partial class BenchJsonContext : JsonSerializerContext;
