using System.Text.Json.Serialization;
using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core;

/// <summary>JSON of the workflow state and of the files and messages BatchFunctions writes, snake_case like the rest of the wire.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true, UseStringEnumConverter = true)]
[JsonSerializable(typeof(RejectionReport))]
[JsonSerializable(typeof(BatchSummary))]
[JsonSerializable(typeof(CompletionMessage))]
[JsonSerializable(typeof(BatchState))]
[JsonSerializable(typeof(ActivityCall))]
[JsonSerializable(typeof(ActivityResult))]
[JsonSerializable(typeof(BatchStep))]
[JsonSerializable(typeof(BatchStatus))]
[JsonSerializable(typeof(IReadOnlyList<BatchStatus>))]
[JsonSerializable(typeof(StartBatchRequest))]
[JsonSerializable(typeof(StartBatchResponse))]
[JsonSerializable(typeof(BatchList))]
[JsonSerializable(typeof(ApiProblem))]
[JsonSerializable(typeof(PoisonMessage))]
[JsonSerializable(typeof(IdempotencyRecord))]
public sealed partial class BatchJsonContext : JsonSerializerContext;
