using System.Text;

namespace BatchFunctions.Tests.Contract;

/// <summary>One request a client gets wrong, and what a host must answer: a 4xx problem document naming the field.</summary>
/// <param name="Name">What is wrong with it (the theory's case name).</param>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Path and query, relative to the host's root.</param>
/// <param name="ContentType">The body's content type, if any.</param>
/// <param name="Body">The body, if any.</param>
/// <param name="Status">The status the host must answer.</param>
/// <param name="Mentions">A word the problem document must contain (the field it names), if any.</param>
public sealed record MalformedRequest(string Name, string Method, string Path, string? ContentType, byte[]? Body, int Status, string? Mentions)
{
    public override string ToString() => Name;
}

/// <summary>
/// The standing table of malformed requests that both hosts' HTTP APIs are run against: never a 5xx, never a
/// stack trace, nothing written. Containers of the test's own are passed in so that traversal targets exist.
/// </summary>
public static class MalformedRequests
{
    public const string Json = "application/json";
    public const string JsonlType = "application/x-ndjson";

    private static readonly string Line = "{\"custom_id\":\"a\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}";

    /// <summary>The starts that must be refused: each names a container or a field a caller may not use.</summary>
    public static IReadOnlyList<MalformedRequest> Starts(string archiveContainer, string otherContainer) =>
    [
        Start("blob without a name", """{"blob": {}}""", "blob.name"),
        Start("blob with an empty name", """{"blob": {"name": ""}}""", "blob.name"),
        Start("blob name climbing into another container", $$$"""{"blob": {"name": "../{{{otherContainer}}}/private/data.jsonl"}}""", "blob.name"),
        Start("blob name with a percent-encoded climb", """{"blob": {"name": "%2e%2e/%2e%2e/x.jsonl"}}""", "blob.name"),
        Start("blob name with a backslash", """{"blob": {"name": "..\\x.jsonl"}}""", "blob.name"),
        Start("blob name with a control character", """{"blob": {"name": "a\u0001b.jsonl"}}""", "blob.name"),
        Start("blob name with NUL", """{"blob": {"name": "a\u0000b.jsonl"}}""", "blob.name"),
        Start("blob name with a leading slash", """{"blob": {"name": "/x.jsonl"}}""", "blob.name"),
        Start("blob in the archive container", $$$"""{"blob": {"container": "{{{archiveContainer}}}", "name": "x.jsonl"}}""", "blob.container"),
        Start("blob in another container", $$$"""{"blob": {"container": "{{{otherContainer}}}", "name": "x.jsonl"}}""", "blob.container"),
        Start("blob in an invalid container", """{"blob": {"container": "Not_A..Container", "name": "x.jsonl"}}""", "blob.container"),
        Start("blob not a jsonl", """{"blob": {"name": "x.csv"}}""", "blob.name"),
        Start("inline name climbing", $$"""{"requests": [{{Line}}], "name": "../{{otherContainer}}/x.jsonl"}""", "name"),
        Start("inline name with CR/LF", $$"""{"requests": [{{Line}}], "name": "a\r\nb.jsonl"}""", "name"),
        Start("inline model with CR/LF", $$"""{"requests": [{{Line}}], "model": "mistral\r\nx-evil: 1"}""", "model"),
        Start("inline unknown endpoint", $$"""{"requests": [{{Line}}], "endpoint": "/v1/nope"}""", "endpoint"),
        Start("inline timeout of 500 hours", $$"""{"requests": [{{Line}}], "timeout_hours": 500}""", "timeout_hours"),
        Start("inline unknown priority", $$"""{"requests": [{{Line}}], "priority": "urgent"}""", "priority"),
        Start("blob with a priority", """{"blob": {"name": "x.jsonl"}, "priority": "high"}""", "'priority'"),
        Start("inline metadata key with CR/LF", $$$"""{"requests": [{{{Line}}}], "metadata": {"a\r\nb": "v"}}""", "metadata"),
        Start("inline metadata value with CR/LF", $$$"""{"requests": [{{{Line}}}], "metadata": {"team": "a\r\nb"}}""", "metadata"),
        Start("inline metadata value not ASCII", $$$"""{"requests": [{{{Line}}}], "metadata": {"team": "équipe"}}""", "metadata"),
        Start("inline empty requests", """{"requests": []}""", "requests"),
        Start("inline duplicate custom_id", $$$"""{"requests": [{{{Line}}}, {{{Line}}}]}""", "repeats custom_id 'a' of item 1"),
        Start("inline request without custom_id", """{"requests": [{"body": {"messages": []}}]}""", "item 1 has no custom_id"),
        Start("JSON array body", "[1, 2]", null),
        Start("JSON string body", "\"blob\"", null),
        Start("JSON null body", "null", null),
        Start("not JSON", "{blob", null),
        new("JSONL with a climbing name", "POST", $"api/batches?name=..%2F{otherContainer}%2Fx.jsonl", JsonlType, Encoding.UTF8.GetBytes(Line + "\n"), 400, "name"),
        new("JSONL with a CR/LF model", "POST", "api/batches?model=a%0D%0Ab", JsonlType, Encoding.UTF8.GetBytes(Line + "\n"), 400, "model"),
        new("JSONL with a CR/LF name", "POST", "api/batches?name=a%0D%0Ab.jsonl", JsonlType, Encoding.UTF8.GetBytes(Line + "\n"), 400, "name"),
        new("JSONL with a non-ASCII metadata value", "POST", "api/batches?metadata=team%3D%C3%A9quipe", JsonlType, Encoding.UTF8.GetBytes(Line + "\n"), 400, "metadata"),
        new("JSONL with a bad timeout", "POST", "api/batches?timeout_hours=500", JsonlType, Encoding.UTF8.GetBytes(Line + "\n"), 400, "timeout_hours"),
        new("JSONL with an unknown priority", "POST", "api/batches?priority=asap", JsonlType, Encoding.UTF8.GetBytes(Line + "\n"), 400, "priority"),
        Start("inline request without messages", """{"requests": [{"custom_id": "a", "body": {"prompt": "hi"}}]}""", "requests[0].body.messages"),
        Jsonl("JSONL empty body", string.Empty, "empty_file"),
        Jsonl("JSONL with a broken line", Line + "\n{\"custom_id\": \"b\", \"body\": \n", "line 2"),
        Jsonl("JSONL CSV renamed", "custom_id,prompt\na,hello\n", "line 1"),
        Jsonl("JSONL chat line without messages", Line + "\n{\"custom_id\":\"b\",\"body\":{\"prompt\":\"x\"}}\n", "line 2 (body.messages)"),
        Jsonl("JSONL duplicate custom_id", Line + "\n" + Line + "\n", "duplicate_custom_id"),
        new("JSONL chat lines sent to embeddings", "POST", "api/batches?endpoint=%2Fv1%2Fembeddings", JsonlType, Encoding.UTF8.GetBytes(Line + "\n"), 400, "body.input"),
    ];

    /// <summary>Reads and lists that must be refused.</summary>
    public static IReadOnlyList<MalformedRequest> Reads() =>
    [
        new("list page overflowing", "GET", "api/batches?page=2147483647&page_size=100", null, null, 400, "page"),
        new("list page beyond int", "GET", "api/batches?page=99999999999", null, null, 400, "page"),
        new("list negative page", "GET", "api/batches?page=-1", null, null, 400, "page"),
        new("list page size 0", "GET", "api/batches?page_size=0", null, null, 400, "page_size"),
        new("list page size 1000", "GET", "api/batches?page_size=1000", null, null, 400, "page_size"),
        new("list unknown status", "GET", "api/batches?status=nope", null, null, 400, "status"),
        new("get unknown batch", "GET", "api/batches/bf-00000000000000000000000000000000", null, null, 404, null),
        new("get id climbing", "GET", "api/batches/..%2F..%2Fx", null, null, 404, null),
        new("cancel unknown batch", "POST", "api/batches/bf-00000000000000000000000000000000/cancel", null, null, 404, null),
        new("file of an unknown kind", "GET", "api/batches/bf-00000000000000000000000000000000/files/passwd", null, null, 404, null),
    ];

    private static MalformedRequest Jsonl(string name, string content, string mentions) =>
        new(name, "POST", "api/batches", JsonlType, Encoding.UTF8.GetBytes(content), 400, mentions);

    private static MalformedRequest Start(string name, string json, string? mentions) =>
        new(name, "POST", "api/batches", Json, Encoding.UTF8.GetBytes(json), 400, mentions);
}
