using System.Globalization;
using System.Net.Http.Headers;

namespace BatchFunctions.Core.Mistral;

/// <summary>
/// How long the server asked us to wait: <c>Retry-After</c> (seconds or an HTTP date), else the
/// rate-limit reset headers Mistral's gateway has sent over the years.
/// </summary>
internal static class MistralRetryDelay
{
    private static readonly string[] ResetHeaders = ["ratelimitbysize-reset", "x-ratelimit-reset", "x-ratelimit-reset-requests"];

    public static TimeSpan? FromHeaders(HttpResponseHeaders headers, TimeProvider timeProvider)
    {
        if (headers.RetryAfter is { } retryAfter)
        {
            if (retryAfter.Delta is { } delta)
            {
                return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            }

            if (retryAfter.Date is { } date)
            {
                var wait = date - timeProvider.GetUtcNow();
                return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
            }
        }

        foreach (var name in ResetHeaders)
        {
            if (headers.TryGetValues(name, out var values)
                && double.TryParse(values.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds)
                && seconds >= 0
                && seconds < TimeSpan.FromDays(1).TotalSeconds)
            {
                return TimeSpan.FromSeconds(seconds);
            }
        }

        return null;
    }
}
