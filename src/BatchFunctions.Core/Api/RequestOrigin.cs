namespace BatchFunctions.Core.Api;

/// <summary>Where a start request's fields came from, so that an error names the field as the caller wrote it.</summary>
public enum RequestOrigin
{
    /// <summary>The JSON body of <c>POST /api/batches</c>: "the JSON field 'blob.name'".</summary>
    JsonBody,

    /// <summary>The query of a JSONL upload: "the query parameter 'model'".</summary>
    Query,

    /// <summary>A <c>batch-requests</c> queue message: "the message field 'blob.name'".</summary>
    QueueMessage,
}
