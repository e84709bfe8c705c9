using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Options;

namespace BatchFunctions.MistralEmulator;

/// <summary>
/// In front of <c>/v1</c>: stamps a request id, checks the bearer token, holds the workspace's rate limit,
/// injects the configured faults and records each call with the status it got.
/// </summary>
internal sealed class ApiGateMiddleware(RequestDelegate next, FaultInjector faults, CallRecorder calls, ApiRateLimiter limiter, EmulatorStore store, IOptions<MistralEmulatorOptions> options)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (!request.Path.StartsWithSegments("/v1", StringComparison.Ordinal))
        {
            await next(context);
            return;
        }

        var requestId = Guid.NewGuid().ToString("N");
        context.Response.Headers["x-kong-request-id"] = requestId;
        var call = calls.Start(request.Method, request.Path.Value ?? string.Empty, request.QueryString.Value ?? string.Empty);
        FaultRule? fault = null;
        var dropped = false;
        context.Response.OnStarting(() =>
        {
            // Kestrel may still "start" the default response of an aborted call: that one stays at 0.
            if (!dropped)
            {
                calls.Complete(call, context.Response.StatusCode, fault?.Kind);
            }

            return Task.CompletedTask;
        });

        if (!IsAuthorized(request))
        {
            await EmulatorErrors.Unauthorized(requestId).ExecuteAsync(context);
            return;
        }

        if (limiter.TryTake(store.Settings.MaxApiRequestsPerSecond) is { } wait)
        {
            context.Response.Headers.RetryAfter = Math.Max(1, Math.Ceiling(wait.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
            await EmulatorErrors.RateLimited().ExecuteAsync(context);
            return;
        }

        fault = faults.Next(call.Method, call.Path);
        switch (fault?.Kind)
        {
            case "drop":
                dropped = true;
                calls.Complete(call, 0, fault.Kind);
                context.Abort();
                return;
            case "rate_limit":
                if (fault.RetryAfterSeconds is { } retryAfter)
                {
                    context.Response.Headers.RetryAfter = Math.Ceiling(retryAfter).ToString(CultureInfo.InvariantCulture);
                }

                if (fault.ResetSeconds is { } reset)
                {
                    context.Response.Headers["ratelimitbysize-reset"] = reset.ToString(CultureInfo.InvariantCulture);
                }

                await EmulatorErrors.RateLimited().ExecuteAsync(context);
                return;
            case "server_error":
                await EmulatorErrors.Generic(500, "Internal server error", "internal_server_error", null).ExecuteAsync(context);
                return;
            case "unavailable":
                // Gateways answer 503 in plain text, not JSON: clients must cope with that too.
                context.Response.StatusCode = 503;
                context.Response.ContentType = "text/plain";
                await context.Response.WriteAsync("upstream connect error or disconnect/reset before headers", context.RequestAborted);
                return;
            default:
                break;
        }

        if (fault?.Kind == "slow")
        {
            // A client that gives up first leaves the call recorded with status 0, like a dropped one.
            calls.Complete(call, 0, fault.Kind);
            await DelayAtLeastAsync(TimeSpan.FromMilliseconds(fault.DelayMilliseconds ?? 2000), context.RequestAborted);
        }

        await next(context);
    }

    /// <summary>
    /// Waits the whole <paramref name="delay"/>: a timer may fire up to a tick before it is due, and a slow
    /// call must take at least as long as the fault says (tests time calls with a stopwatch).
    /// </summary>
    private static async Task DelayAtLeastAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        for (var left = delay; left > TimeSpan.Zero; left = delay - Stopwatch.GetElapsedTime(started))
        {
            await Task.Delay(left, cancellationToken);
        }
    }

    private bool IsAuthorized(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        const string prefix = "Bearer ";
        if (!header.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) || header.Length == prefix.Length)
        {
            return false;
        }

        var token = header[prefix.Length..].Trim();
        return options.Value.ApiKey is not { Length: > 0 } expected || string.Equals(token, expected, StringComparison.Ordinal);
    }
}
