namespace BatchFunctions.MistralEmulator;

/// <summary>
/// The workspace's standing rate limit: a bucket of one second's calls, refilled continuously. A call past it is
/// told how long until the next one fits, for its <c>Retry-After</c>.
/// </summary>
internal sealed class ApiRateLimiter(TimeProvider timeProvider)
{
    private readonly Lock _gate = new();
    private double _tokens = double.NaN;
    private long _last;

    /// <summary>Takes one call from a budget of <paramref name="perSecond"/>; null when it fits, else how long until one would.</summary>
    public TimeSpan? TryTake(double perSecond)
    {
        if (perSecond <= 0)
        {
            return null;
        }

        var burst = Math.Max(1, perSecond);
        lock (_gate)
        {
            var now = timeProvider.GetTimestamp();
            _tokens = double.IsNaN(_tokens) ? burst : Math.Min(burst, _tokens + (timeProvider.GetElapsedTime(_last, now).TotalSeconds * perSecond));
            _last = now;
            if (_tokens >= 1)
            {
                _tokens -= 1;
                return null;
            }

            return TimeSpan.FromSeconds((1 - _tokens) / perSecond);
        }
    }
}
