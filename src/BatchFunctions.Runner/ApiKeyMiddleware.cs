using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Runner;

/// <summary>
/// Requires the configured key on every <c>/api</c> call but the health probe, as <c>x-functions-key</c> or
/// <c>code</c> (so that clients and Event Grid subscriptions made for a Function App work unchanged).
/// Without a key the runner listens on loopback only (checked at start-up).
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<RunnerOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (options.Value.ApiKey is { Length: > 0 } key && !context.Request.Path.StartsWithSegments("/api/health", StringComparison.OrdinalIgnoreCase))
        {
            var given = context.Request.Headers[Core.Api.BatchApiClient.KeyHeader].ToString() is { Length: > 0 } header ? header : context.Request.Query["code"].ToString();
            if (!CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), Encoding.UTF8.GetBytes(key)))
            {
                await RunnerApi.Problem(StatusCodes.Status401Unauthorized, "Key required", "Give the runner's key as the x-functions-key header or the code query parameter.").ExecuteAsync(context);
                return;
            }
        }

        await next(context);
    }
}
