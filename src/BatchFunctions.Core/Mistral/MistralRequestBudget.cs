using System.Net;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Mistral;

/// <summary>
/// One requests-per-second budget for every Mistral call of a process, whichever batch makes it
/// (<see cref="MistralClientOptions.MaxRequestsPerSecond"/>; none by default), and one pause for all of them
/// when Mistral answers 429 with a time to wait: a workspace's rate limit is shared, so one batch's 429 is
/// every batch's. A singleton; <see cref="MistralBudgetHandler"/> spends it on each attempt.
/// </summary>
public sealed class MistralRequestBudget : IDisposable
{
    private readonly TokenBucketRateLimiter? _limiter;
    private readonly TimeProvider _clock = TimeProvider.System;
    private long _pausedUntilTicks;

    /// <summary>Makes the budget of <paramref name="options"/>.</summary>
    public MistralRequestBudget(IOptions<MistralClientOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Value.MaxRequestsPerSecond is > 0 and var perSecond)
        {
            // One token each 1/rate seconds and no burst: a full bucket of a second's worth, spent at once, then topped
            // up by a timer tick that may come a moment later, puts more than the rate into one second, and a workspace
            // limited to that rate answers 429 (the emulator's standing limit does).
            _limiter = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = 1,
                TokensPerPeriod = 1,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1 / perSecond),
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }
    }

    /// <summary>Waits until a call may go: past a pause a 429 asked for, and with a token of the budget.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        var pause = new DateTimeOffset(Interlocked.Read(ref _pausedUntilTicks), TimeSpan.Zero) - _clock.GetUtcNow();
        if (pause > TimeSpan.Zero)
        {
            await Task.Delay(pause, _clock, cancellationToken);
        }

        if (_limiter is not null)
        {
            using var lease = await _limiter.AcquireAsync(1, cancellationToken);
        }
    }

    /// <summary>Holds every call back until <paramref name="until"/> (the later of two pauses wins).</summary>
    public void PauseUntil(DateTimeOffset until)
    {
        var ticks = until.UtcTicks;
        long current;
        do
        {
            current = Interlocked.Read(ref _pausedUntilTicks);
            if (current >= ticks)
            {
                return;
            }
        }
        while (Interlocked.CompareExchange(ref _pausedUntilTicks, ticks, current) != current);
    }

    /// <inheritdoc/>
    public void Dispose() => _limiter?.Dispose();
}

/// <summary>The Mistral pipeline's innermost handler: each attempt spends the process's budget, and a 429's wait pauses them all.</summary>
public sealed class MistralBudgetHandler(MistralRequestBudget budget, IOptions<MistralClientOptions> options, TimeProvider timeProvider) : DelegatingHandler
{
    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        await budget.WaitAsync(cancellationToken);
        var response = await base.SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.TooManyRequests && MistralRetryDelay.FromHeaders(response.Headers, timeProvider) is { } wait && wait > TimeSpan.Zero)
        {
            // No longer than the HTTP layer itself would wait: a longer wait is the workflow's, on a durable timer.
            budget.PauseUntil(TimeProvider.System.GetUtcNow() + (wait < options.Value.MaxRetryDelay ? wait : options.Value.MaxRetryDelay));
        }

        return response;
    }
}
