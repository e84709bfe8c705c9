using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Capacity;
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
[JsonSerializable(typeof(DryRunResponse))]
[JsonSerializable(typeof(CombinedSummary))]
[JsonSerializable(typeof(CapacityLedger))]
public sealed partial class BatchJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The same contract for what people read (problem documents, status, summary.json, rejection.json,
    /// poison messages): quotes, apostrophes and non-ASCII as they are, not as <c>\u0022</c> escapes. These
    /// are JSON bodies and files, never embedded in HTML, so the relaxed encoder is safe here.
    /// </summary>
    public static BatchJsonContext Readable => ReadableContext.Value;

    // Lazy: the generated Default is not yet set while this class's static fields are initialized.
    private static readonly Lazy<BatchJsonContext> ReadableContext = new(CreateReadable);

    private static BatchJsonContext CreateReadable()
    {
        // The generated options (snake_case, indented, enums as strings), with only the encoder changed.
        var options = new JsonSerializerOptions(Default.Options) { TypeInfoResolver = null, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        return new BatchJsonContext(options);
    }
}
