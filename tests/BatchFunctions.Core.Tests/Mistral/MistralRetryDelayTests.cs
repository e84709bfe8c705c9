using System.Net.Http.Headers;
using BatchFunctions.Core.Mistral;
using Microsoft.Extensions.Time.Testing;

namespace BatchFunctions.Core.Tests.Mistral;

public sealed class MistralRetryDelayTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void FromHeaders_RetryAfterSeconds_ReturnsThatDelay()
    {
        using var response = new HttpResponseMessage();
        response.Headers.RetryAfter = new RetryConditionHeaderValue(TimeSpan.FromSeconds(7));

        Assert.Equal(TimeSpan.FromSeconds(7), MistralRetryDelay.FromHeaders(response.Headers, _clock));
    }

    [Fact]
    public void FromHeaders_RetryAfterDate_ReturnsTimeUntilThen()
    {
        using var response = new HttpResponseMessage();
        response.Headers.RetryAfter = new RetryConditionHeaderValue(_clock.GetUtcNow().AddSeconds(30));

        Assert.Equal(TimeSpan.FromSeconds(30), MistralRetryDelay.FromHeaders(response.Headers, _clock));
    }

    [Fact]
    public void FromHeaders_RetryAfterDateInThePast_ReturnsZero()
    {
        using var response = new HttpResponseMessage();
        response.Headers.RetryAfter = new RetryConditionHeaderValue(_clock.GetUtcNow().AddSeconds(-30));

        Assert.Equal(TimeSpan.Zero, MistralRetryDelay.FromHeaders(response.Headers, _clock));
    }

    [Theory]
    [InlineData("ratelimitbysize-reset", "12", 12)]
    [InlineData("x-ratelimit-reset", "2.5", 2.5)]
    public void FromHeaders_RateLimitReset_ReturnsThatDelay(string header, string value, double seconds)
    {
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation(header, value);

        Assert.Equal(TimeSpan.FromSeconds(seconds), MistralRetryDelay.FromHeaders(response.Headers, _clock));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("-1")]
    [InlineData("1700000000")]
    public void FromHeaders_UnusableReset_ReturnsNull(string value)
    {
        using var response = new HttpResponseMessage();
        response.Headers.TryAddWithoutValidation("ratelimitbysize-reset", value);

        Assert.Null(MistralRetryDelay.FromHeaders(response.Headers, _clock));
    }

    [Fact]
    public void FromHeaders_NoHeaders_ReturnsNull()
    {
        using var response = new HttpResponseMessage();

        Assert.Null(MistralRetryDelay.FromHeaders(response.Headers, _clock));
    }
}
