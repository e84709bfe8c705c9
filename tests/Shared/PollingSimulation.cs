using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Tests.Simulation;

/// <summary>
/// Runs <see cref="PollPolicy"/> against synthetic job timelines and reports how many polls each took and
/// how late completion was noticed. Used by the tests (which check the bounds) and the benchmark (which
/// prints the figures).
/// </summary>
public static class PollingSimulation
{
    /// <summary>One synthetic job: queued, then progressing piecewise linearly to its total.</summary>
    /// <param name="Kind">Its family (short, long, stalled, ...).</param>
    /// <param name="Queued">Time spent QUEUED (no counters).</param>
    /// <param name="Breakpoints">(time since creation, completed) points after the start, ending at (T, total).</param>
    /// <param name="Total">Requests.</param>
    public sealed record Timeline(string Kind, TimeSpan Queued, IReadOnlyList<(TimeSpan At, long Completed)> Breakpoints, long Total)
    {
        /// <summary>When the job ends, counted from its creation.</summary>
        public TimeSpan Duration => Breakpoints[^1].At;

        /// <summary>Requests completed at a time.</summary>
        public long CompletedAt(TimeSpan t)
        {
            if (t <= Queued)
            {
                return 0;
            }

            var previous = (At: Queued, Completed: 0L);
            foreach (var point in Breakpoints)
            {
                if (t <= point.At)
                {
                    var share = (t - previous.At) / (point.At - previous.At);
                    return previous.Completed + (long)((point.Completed - previous.Completed) * share);
                }

                previous = point;
            }

            return Total;
        }
    }

    /// <summary>The outcome for one timeline.</summary>
    /// <param name="Timeline">The job.</param>
    /// <param name="Polls">Polls made until completion was seen, that one included.</param>
    /// <param name="Latency">Time between completion and the poll that saw it.</param>
    /// <param name="PollBound">20 + T / ceiling.</param>
    /// <param name="LatencyBound">max(15 s, 10% of T).</param>
    public sealed record Result(Timeline Timeline, int Polls, TimeSpan Latency, double PollBound, TimeSpan LatencyBound)
    {
        /// <summary>Whether both bounds hold.</summary>
        public bool WithinBounds => Polls <= PollBound && Latency <= LatencyBound;
    }

    /// <summary>Polls one timeline the way the decider does.</summary>
    public static Result Run(Timeline timeline, WorkflowOptions options)
    {
        ArgumentNullException.ThrowIfNull(timeline);
        ArgumentNullException.ThrowIfNull(options);
        var origin = DateTimeOffset.UnixEpoch;
        // The first poll comes as the job is created.
        var t = TimeSpan.Zero;
        var polls = 0;
        long lastCompleted = 0;
        DateTimeOffset? lastPoll = null;
        while (true)
        {
            polls++;
            if (t >= timeline.Duration)
            {
                break;
            }

            var running = t > timeline.Queued;
            var completed = timeline.CompletedAt(t);
            var now = origin + t;
            var delay = PollPolicy.NextDelay(options, origin, now, running ? timeline.Total : 0, completed, running ? origin + timeline.Queued : null, lastCompleted, lastPoll);
            lastCompleted = completed;
            lastPoll = now;
            t += delay;
        }

        var duration = timeline.Duration;
        return new Result(
            timeline,
            polls,
            t - duration,
            20 + (duration / options.MaxPollDelay),
            TimeSpan.FromSeconds(Math.Max(15, duration.TotalSeconds * 0.1)));
    }

    /// <summary>A reproducible mix of timelines: short, medium, long, queued long, stalled and fast finishers.</summary>
    public static IReadOnlyList<Timeline> Generate(int perKind, int seed)
    {
        var random = new Random(seed);
        var timelines = new List<Timeline>();
        for (var i = 0; i < perKind; i++)
        {
            timelines.Add(Steady("short", random, Seconds(random, 5, 300), Seconds(random, 0, 30)));
            timelines.Add(Steady("medium", random, Seconds(random, 300, 7200), Seconds(random, 0, 300)));
            timelines.Add(Steady("long", random, Seconds(random, 7200, 86400), Seconds(random, 0, 1800)));
            var queuedRun = Seconds(random, 60, 7200);
            timelines.Add(Steady("queued long", random, queuedRun, queuedRun * (0.5 + random.NextDouble())));
            timelines.Add(Stalled(random));
            timelines.Add(FastFinisher(random));
        }

        return timelines;
    }

    private static Timeline Steady(string kind, Random random, TimeSpan run, TimeSpan queued)
    {
        var total = random.Next(1, 100_000);
        return new Timeline(kind, queued, [(queued + run, total)], total);
    }

    private static Timeline Stalled(Random random)
    {
        var queued = Seconds(random, 0, 120);
        var run = Seconds(random, 600, 21600);
        var total = random.Next(1000, 100_000);
        var stallStart = queued + (run * (0.2 + (random.NextDouble() * 0.4)));
        var stall = run * (0.1 + (random.NextDouble() * 0.5));
        var doneAtStall = (long)(total * ((stallStart - queued) / run));
        return new Timeline("stalled", queued, [(stallStart, doneAtStall), (stallStart + stall, doneAtStall), (queued + run + stall, total)], total);
    }

    private static Timeline FastFinisher(Random random)
    {
        var queued = Seconds(random, 0, 60);
        var run = Seconds(random, 120, 14400);
        var total = random.Next(1000, 100_000);
        var turn = run * (0.3 + (random.NextDouble() * 0.4));
        var doneAtTurn = (long)(total * (turn / run));
        var speedUp = 1.5 + random.NextDouble();
        var rest = (run - turn) / speedUp;
        return new Timeline("fast finisher", queued, [(queued + turn, doneAtTurn), (queued + turn + rest, total)], total);
    }

    private static TimeSpan Seconds(Random random, double minimum, double maximum) => TimeSpan.FromSeconds(minimum + (random.NextDouble() * (maximum - minimum)));
}
