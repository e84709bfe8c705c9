using System.Text.Json.Nodes;

namespace BatchFunctions.MistralEmulator;

/// <summary>Error answers in the body shapes the real API has been seen to use (contract section 8).</summary>
internal static class EmulatorErrors
{
    private const string Json = "application/json";

    public static IResult Unauthorized(string requestId) =>
        Results.Text(new JsonObject { ["message"] = "Unauthorized", ["request_id"] = requestId }.ToJsonString(), Json, statusCode: 401);

    public static IResult RouteNotFound() =>
        Results.Text(new JsonObject { ["detail"] = "Not Found" }.ToJsonString(), Json, statusCode: 404);

    public static IResult NotFound(string message) => Generic(404, message, "not_found_error", null);

    public static IResult TooLarge(long limit) =>
        Results.Text(new JsonObject { ["detail"] = $"Request Entity Too Large: files are limited to {limit} bytes." }.ToJsonString(), Json, statusCode: 413);

    /// <summary>The generic shape: <c>{"object":"error","message",...,"type","param","code"}</c>.</summary>
    public static IResult Generic(int status, string message, string type, string? code, string? param = null) =>
        Results.Text(
            new JsonObject
            {
                ["object"] = "error",
                ["message"] = message,
                ["type"] = type,
                ["param"] = param,
                ["code"] = code,
            }.ToJsonString(),
            Json,
            statusCode: status);

    public static IResult RateLimited() =>
        Results.Text(
            new JsonObject
            {
                ["object"] = "error",
                ["message"] = "Rate limit exceeded",
                ["type"] = "rate_limited",
                ["param"] = null,
                ["code"] = "1300",
                ["raw_status_code"] = 429,
            }.ToJsonString(),
            Json,
            statusCode: 429);

    /// <summary>FastAPI's 422: <c>{"detail":[{"type","loc","msg","input"}]}</c>.</summary>
    public static IResult Validation(IEnumerable<ValidationIssue> issues)
    {
        var detail = new JsonArray();
        foreach (var issue in issues)
        {
            var location = new JsonArray();
            foreach (var segment in issue.Location)
            {
                location.Add(segment is int index ? JsonValue.Create(index) : JsonValue.Create(segment.ToString()));
            }

            detail.Add(new JsonObject
            {
                ["type"] = issue.Type,
                ["loc"] = location,
                ["msg"] = issue.Message,
                ["input"] = issue.Input?.DeepClone(),
            });
        }

        return Results.Text(new JsonObject { ["detail"] = detail }.ToJsonString(), Json, statusCode: 422);
    }

    public static IResult Validation(string type, string message, params object[] location) =>
        Validation([new ValidationIssue(type, location, message, null)]);
}

/// <summary>One pydantic-style validation error.</summary>
internal sealed record ValidationIssue(string Type, IReadOnlyList<object> Location, string Message, JsonNode? Input);
