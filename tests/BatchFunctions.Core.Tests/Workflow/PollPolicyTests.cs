using BatchFunctions.Core.Workflow;
using BatchFunctions.Tests.Simulation;

namespace BatchFunctions.Core.Tests.Workflow;

public sealed class PollPolicyTests
{
    private readonly WorkflowOptions _options = new();

    [Fact]
    public void Simulation_ManyTimelines_StayWithinThePollAndLatencyBounds()
    {
        var results = PollingSimulation.Generate(perKind: 200, seed: 7).Select(t => PollingSimulation.Run(t, _options)).ToList();

        var outside = results.Where(r => !r.WithinBounds).Take(5).Select(r => $"{r.Timeline.Kind} T={r.Timeline.Duration} polls={r.Polls}/{r.PollBound:F0} latency={r.Latency}/{r.LatencyBound}");
        Assert.Empty(outside);
    }

    [Fact]
    public void NextDelay_NoProgressYet_GrowsWithElapsedTimeUpToTheCeiling()
    {
        var since = DateTimeOffset.UnixEpoch;

        var early = PollPolicy.NextDelay(_options, since, since.AddSeconds(20), 0, 0, null, 0, null);
        var later = PollPolicy.NextDelay(_options, since, since.AddSeconds(400), 0, 0, null, 0, null);
        var much = PollPolicy.NextDelay(_options, since, since.AddHours(5), 0, 0, null, 0, null);

        Assert.Equal(_options.MinPollDelay, early);
        Assert.Equal(TimeSpan.FromSeconds(400) * PollPolicy.ElapsedShare, later);
        Assert.Equal(_options.MaxPollDelay, much);
    }

    [Fact]
    public void NextDelay_FirstSeconds_PollsAtCreationThenDoublesFromTheFirstDelayUpToTheMinimum()
    {
        var since = DateTimeOffset.UnixEpoch;
        var polls = new List<double> { 0 };
        while (polls[^1] < 40)
        {
            polls.Add(polls[^1] + PollPolicy.NextDelay(_options, since, since.AddSeconds(polls[^1]), 0, 0, null, 0, null).TotalSeconds);
        }

        // A job done at creation is seen at once, one done in the first second a second later.
        Assert.Equal([0, 1, 2, 4, 8, 16, 31, 46], polls);
    }

    [Fact]
    public void NextDelay_SteadyProgressNearTheEnd_AimsJustPastTheEstimatedCompletion()
    {
        var since = DateTimeOffset.UnixEpoch;
        var started = since.AddSeconds(10);

        // 900 of 1000 done in 90 s: 10 s left.
        var delay = PollPolicy.NextDelay(_options, since, started.AddSeconds(90), 1000, 900, started, 800, started.AddSeconds(80));

        Assert.Equal(TimeSpan.FromSeconds(12), delay);
    }

    [Fact]
    public void NextDelay_SteadyProgressFarFromTheEnd_WaitsHalfTheTimeLeftWithinBounds()
    {
        var since = DateTimeOffset.UnixEpoch;

        // 100 of 1000 in 100 s: 900 s left, half of it is above the ceiling.
        var far = PollPolicy.NextDelay(_options, since, since.AddSeconds(100), 1000, 100, since, 50, since.AddSeconds(50));
        // 600 of 1000 in 600 s: 400 s left, wait 200 s.
        var nearer = PollPolicy.NextDelay(_options, since, since.AddSeconds(600), 1000, 600, since, 500, since.AddSeconds(500));

        Assert.Equal(_options.MaxPollDelay, far);
        Assert.Equal(TimeSpan.FromSeconds(200), nearer);
    }
}
