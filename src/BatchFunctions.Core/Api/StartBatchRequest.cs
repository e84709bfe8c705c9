using System.Text.Json;

namespace BatchFunctions.Core.Api;

/// <summary>
/// <c>POST /api/batches</c> and a <c>batch-requests</c> queue message: a blob to process, or inline requests
/// with their job settings. Both hosts accept exactly this.
/// </summary>
/// <param name="Blob">An input blob already uploaded (settings then come from its metadata).</param>
/// <param name="Requests">Inline request lines (<c>{"custom_id": ..., "body": {...}}</c>); written to the input container first.</param>
/// <param name="Name">Name for the inline input blob (default: a new id).</param>
/// <param name="Model">Model for inline requests.</param>
/// <param name="Endpoint">Endpoint for inline requests.</param>
/// <param name="TimeoutHours">Job timeout for inline requests.</param>
/// <param name="Metadata">Job metadata for inline requests.</param>
/// <param name="Priority">Where inline requests queue for the workspace's capacity: <c>high</c>, <c>normal</c> (the default) or <c>low</c>.</param>
public sealed record StartBatchRequest(
    BlobReference? Blob = null,
    IReadOnlyList<JsonElement>? Requests = null,
    string? Name = null,
    string? Model = null,
    string? Endpoint = null,
    int? TimeoutHours = null,
    IReadOnlyDictionary<string, string>? Metadata = null,
    string? Priority = null);

/// <summary>An input blob.</summary>
/// <param name="Container">Its container; the input container when null. Another one only when <c>Storage:AllowedInputContainers</c> names it.</param>
/// <param name="Name">Its name in that container (required; checked before anything is read).</param>
public sealed record BlobReference(string? Container, string? Name);
