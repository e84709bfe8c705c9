using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Runner;

/// <summary>
/// Requires the configured key on every <c>/api</c> call but the health probe, as <c>x-functions-key</c> or
/// <c>code</c> (so that clients and Event Grid subscriptions made for a Function App work unchanged).
/// Without a key the runner listens on loopback only (checked at start-up on the addresses Kestrel bound),
/// and a connection that arrives anyway on another address is refused.
/// </summary>
internal sealed class ApiKeyMiddleware(RequestDelegate next, IOptions<RunnerOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (options.Value.ApiKey is not { Length: > 0 } key)
        {
            if (context.Connection.LocalIpAddress is { } local && !IPAddress.IsLoopback(local))
            {
                await RunnerApi.Problem(StatusCodes.Status403Forbidden, "Loopback only", "This runner has no Runner:ApiKey and answers on loopback only.").ExecuteAsync(context);
                return;
            }
        }
        else if (!context.Request.Path.StartsWithSegments("/api/health", StringComparison.OrdinalIgnoreCase))
        {
            var given = context.Request.Headers[Core.Api.BatchApiClient.KeyHeader].ToString() is { Length: > 0 } header ? header : context.Request.Query["code"].ToString();

            // Hashes of a fixed length, compared in constant time: neither the key's content nor its length leaks through timing.
            if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(given)), SHA256.HashData(Encoding.UTF8.GetBytes(key))))
            {
                await RunnerApi.Problem(StatusCodes.Status401Unauthorized, "Key required", "Give the runner's key as the x-functions-key header or the code query parameter.").ExecuteAsync(context);
                return;
            }
        }

        await next(context);
    }
}
