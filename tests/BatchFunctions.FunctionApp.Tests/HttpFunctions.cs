using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Mvc;

namespace BatchFunctions.FunctionApp.Tests;

/// <summary>
/// Calls the Function App's HTTP functions as the host does after routing: with an ASP.NET Core request
/// and the durable client. Answers come back as status, content type and body.
/// </summary>
public static class HttpFunctions
{
    public sealed record Answer(int StatusCode, string? ContentType, string Body, string? Location);

    public static Task<Answer> GetAsync(FunctionAppTestHost host, string id) => SendAsync(host, "GET", $"api/batches/{id}", null, null);

    public static Task<Answer> CancelAsync(FunctionAppTestHost host, string id) => SendAsync(host, "POST", $"api/batches/{id}/cancel", null, null);

    /// <summary>Routes <paramref name="path"/> (relative, with query) to the function the host would call.</summary>
    public static async Task<Answer> SendAsync(
        FunctionAppTestHost host,
        string method,
        string path,
        string? contentType,
        byte[]? content,
        IReadOnlyDictionary<string, string>? headers = null,
        IReadOnlyList<(string Name, string Value)>? headerLines = null,
        Stream? body = null)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(path);
        var context = new DefaultHttpContext { RequestServices = host.Services };
        var request = context.Request;
        request.Method = method;
        request.Scheme = "http";
        request.Host = new HostString("functions.test");
        var queryAt = path.IndexOf('?', StringComparison.Ordinal);
        var route = queryAt < 0 ? path : path[..queryAt];
        request.Path = "/" + route;
        request.QueryString = queryAt < 0 ? QueryString.Empty : new QueryString(path[queryAt..]);
        request.ContentType = contentType;
        request.Body = body ?? new MemoryStream(content ?? []);
        request.ContentLength = content?.Length;
        foreach (var (name, value) in headers ?? new Dictionary<string, string>())
        {
            request.Headers[name] = value;
        }

        // Each line as the server collects them: a name given twice has two values.
        foreach (var (name, value) in headerLines ?? [])
        {
            request.Headers.Append(name, value);
        }

        var functions = host.Function<HttpApiFunctions>();
        var client = host.Client;
        var none = CancellationToken.None;

        // The host matches routes with their parameters decoded, as here.
        var segments = route.Split('/').Select(Uri.UnescapeDataString).ToArray();
        IActionResult result = (method, segments) switch
        {
            ("POST", ["api", "batches"]) => await functions.StartBatch(request, client, none),
            ("GET", ["api", "batches"]) => await functions.ListBatches(request, client, none),
            ("GET", ["api", "batches", var id]) => await functions.GetBatch(request, id, client, none),
            ("POST", ["api", "batches", var id, "cancel"]) => await functions.CancelBatch(request, id, client, none),
            ("POST", ["api", "batches", var id, "retry"]) => await functions.RetryBatch(request, id, client, none),
            ("GET", ["api", "batches", var id, "files", var kind]) => await functions.GetBatchFile(request, id, kind, client, none),
            _ => new ContentResult { StatusCode = 404, ContentType = "application/problem+json", Content = "{\"title\":\"Not found\",\"status\":404}" },
        };

        return result switch
        {
            ContentResult text => new Answer(text.StatusCode ?? 200, text.ContentType, text.Content ?? string.Empty, context.Response.Headers.Location.ToString()),
            FileStreamResult file => new Answer(200, file.ContentType, await new StreamReader(file.FileStream, Encoding.UTF8).ReadToEndAsync(), null),
            _ => throw new InvalidOperationException($"Unexpected result {result.GetType().Name}."),
        };
    }
}
