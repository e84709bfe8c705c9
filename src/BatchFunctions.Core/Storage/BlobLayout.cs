using System.Globalization;

namespace BatchFunctions.Core.Storage;

/// <summary>
/// The names of every blob a batch writes. Outputs sit under <c>{input name}/{instance id}/</c> so that a
/// second batch of the same file never overwrites the first; working files sit under <c>{instance id}/</c>.
/// </summary>
public static class BlobLayout
{
    /// <summary>results.jsonl in the output container.</summary>
    public static string Results(string inputName, string instanceId) => $"{inputName}/{instanceId}/results.jsonl";

    /// <summary>summary.json in the output container.</summary>
    public static string Summary(string inputName, string instanceId) => $"{inputName}/{instanceId}/summary.json";

    /// <summary>errors.jsonl in the errors container.</summary>
    public static string Errors(string inputName, string instanceId) => $"{inputName}/{instanceId}/errors.jsonl";

    /// <summary>rejection.json in the errors container.</summary>
    public static string Rejection(string inputName, string instanceId) => $"{inputName}/{instanceId}/rejection.json";

    /// <summary>The archived input in the archive container.</summary>
    public static string Archived(string inputName, string instanceId) => $"{inputName}/{instanceId}/input.jsonl";

    /// <summary>In the output container: a marker naming one retry of a batch (its retries are listed from these).</summary>
    public static string RetryMarker(string inputName, string instanceId, string retryId) => $"{inputName}/{instanceId}/retries/{retryId}";

    /// <summary>In the output container: the prefix of a batch's retry markers.</summary>
    public static string RetryMarkers(string inputName, string instanceId) => $"{inputName}/{instanceId}/retries/";

    /// <summary>In the input container: the input of a retry of <paramref name="parentId"/>.</summary>
    public static string RetryInput(string parentId, string stamp) => $"retries/{parentId}/{stamp}.jsonl";

    /// <summary>A retry's combined results for the whole original input (output container).</summary>
    public static string CombinedResults(string inputName, string instanceId) => $"{inputName}/{instanceId}/combined/results.jsonl";

    /// <summary>A retry's combined errors for the whole original input (errors container).</summary>
    public static string CombinedErrors(string inputName, string instanceId) => $"{inputName}/{instanceId}/combined/errors.jsonl";

    /// <summary>A retry's summary of both attempts (output container).</summary>
    public static string CombinedSummary(string inputName, string instanceId) => $"{inputName}/{instanceId}/combined/summary.json";

    /// <summary>The validation report in the staging container.</summary>
    public static string ValidationReport(string instanceId) => $"{instanceId}/validation.json";

    /// <summary>The hashes of the input's custom_ids in input order (8 bytes each), written while it is validated, in the staging container.</summary>
    public static string IdHashes(string instanceId) => $"{instanceId}/custom-ids.hashes";

    /// <summary>The shared ledger of a workspace's capacity (grants and queue), in staging.</summary>
    public static string Capacity(string workspaceKey) => $"capacity/{workspaceKey}.json";

    /// <summary>The claim a Function App start makes before it schedules the batch's orchestration, in the staging container.</summary>
    public static string StartClaim(string instanceId) => $"{instanceId}/start.claim";

    /// <summary>A part's input in the staging container.</summary>
    public static string Part(string instanceId, int index) => string.Create(CultureInfo.InvariantCulture, $"{instanceId}/parts/part-{index:D4}.jsonl");

    /// <summary>A part's collected output file in the staging container.</summary>
    public static string PartOutput(string instanceId, int index) => string.Create(CultureInfo.InvariantCulture, $"{instanceId}/outputs/part-{index:D4}.output.jsonl");

    /// <summary>A part's collected error file in the staging container.</summary>
    public static string PartErrors(string instanceId, int index) => string.Create(CultureInfo.InvariantCulture, $"{instanceId}/outputs/part-{index:D4}.errors.jsonl");

    /// <summary>A part's succeeded lines, in input order, merged when its job was collected (staging container).</summary>
    public static string PartResults(string instanceId, int index) => string.Create(CultureInfo.InvariantCulture, $"{instanceId}/merged/part-{index:D4}.results.jsonl");

    /// <summary>A part's failed lines, in input order, merged when its job was collected (staging container).</summary>
    public static string PartFailures(string instanceId, int index) => string.Create(CultureInfo.InvariantCulture, $"{instanceId}/merged/part-{index:D4}.errors.jsonl");

    /// <summary>The name a part is uploaded to Mistral with: deterministic, so a retried upload can find its file.</summary>
    public static string UploadName(string instanceId, int index) => string.Create(CultureInfo.InvariantCulture, $"{UploadPrefix(instanceId)}{index:D4}.jsonl");

    /// <summary>What every upload of a batch's parts is named with first.</summary>
    public static string UploadPrefix(string instanceId) => $"{instanceId}-part-";
}
