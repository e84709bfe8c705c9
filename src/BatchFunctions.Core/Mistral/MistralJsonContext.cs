using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>Source-generated JSON for Mistral's snake_case wire format.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(MistralFile))]
[JsonSerializable(typeof(MistralFileList))]
[JsonSerializable(typeof(DeletionResult))]
[JsonSerializable(typeof(BatchJob))]
[JsonSerializable(typeof(BatchJobList))]
[JsonSerializable(typeof(CreateBatchJobRequest))]
[JsonSerializable(typeof(SignedUrl))]
public sealed partial class MistralJsonContext : JsonSerializerContext;
