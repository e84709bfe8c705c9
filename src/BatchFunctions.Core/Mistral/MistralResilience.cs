using System.Net;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Logging;
using Polly;

namespace BatchFunctions.Core.Mistral;

/// <summary>
/// The one layer that retries HTTP transients for Mistral calls: exponential backoff with jitter on
/// transport errors, timeouts, 408, 429 and 5xx, honouring <c>Retry-After</c> and Mistral's rate-limit
/// reset headers. Whole workflow steps are retried by the workflow, never here.
/// </summary>
internal static class MistralResilience
{
    public static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> pipeline, MistralClientOptions options, TimeProvider timeProvider, ILogger logger)
    {
        // Backoff and attempt timeouts are waits on the wire, so they run in real time even when the host
        // registers a virtual clock for its workflow (tests, simulations); only Retry-After dates use it.
        pipeline.TimeProvider = TimeProvider.System;

        if (options.MaxRetryAttempts > 0)
        {
            pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = options.MaxRetryAttempts,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                ShouldRetryAfterHeader = false,
                ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Outcome, args.Context, options, timeProvider)),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Result is { } response ? MistralRetryDelay.FromHeaders(response.Headers, timeProvider) : null),
                OnRetry = args =>
                {
                    MistralLog.Retrying(
                        logger,
                        args.Context.GetRequestMessage()?.RequestUri?.AbsolutePath ?? "?",
                        args.Outcome.Result is { } response ? (int)response.StatusCode : 0,
                        args.Outcome.Exception?.GetType().Name,
                        args.AttemptNumber + 1,
                        args.RetryDelay);
                    return ValueTask.CompletedTask;
                },
            });
        }

        pipeline.AddTimeout(new HttpTimeoutStrategyOptions
        {
            TimeoutGenerator = args => ValueTask.FromResult(
                args.Context.GetRequestMessage() is { } request && request.Options.TryGetValue(MistralHttpOptions.AttemptTimeout, out var timeout)
                    ? timeout
                    : options.RequestTimeout),
        });
    }

    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome, ResilienceContext context, MistralClientOptions options, TimeProvider timeProvider)
    {
        var request = context.GetRequestMessage();
        var mode = request is not null && request.Options.TryGetValue(MistralHttpOptions.RetryMode, out var requested)
            ? requested
            : MistralRetryMode.Transient;

        if (mode == MistralRetryMode.None || !HttpClientResiliencePredicates.IsTransient(outcome))
        {
            return false;
        }

        if (mode == MistralRetryMode.RateLimitedOnly && outcome.Result?.StatusCode != HttpStatusCode.TooManyRequests)
        {
            return false;
        }

        // A wait longer than we accept to sleep through belongs to the workflow's durable timer.
        return outcome.Result is not { } response
            || MistralRetryDelay.FromHeaders(response.Headers, timeProvider) is not { } wait
            || wait <= options.MaxRetryDelay;
    }
}
