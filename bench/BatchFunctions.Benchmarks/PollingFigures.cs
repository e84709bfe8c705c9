using System.Globalization;
using BatchFunctions.Core.Workflow;
using BatchFunctions.Tests.Simulation;

namespace BatchFunctions.Benchmarks;

/// <summary>Prints how the adaptive polling does over many synthetic job timelines, per family.</summary>
internal static class PollingFigures
{
    public static void Print(int perKind)
    {
        var options = new WorkflowOptions();
        var results = PollingSimulation.Generate(perKind, seed: 7).Select(t => PollingSimulation.Run(t, options)).ToList();
        Console.WriteLine();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Adaptive polling over {results.Count:N0} synthetic jobs (first {options.FirstPollDelay.TotalSeconds:F0} s, minimum {options.MinPollDelay.TotalSeconds:F0} s, ceiling {options.MaxPollDelay.TotalMinutes:F0} min)"));
        Console.WriteLine($"{"family",-14} {"jobs",5} {"T min..max",-20} {"polls mean",10} {"polls/bound max",15} {"latency mean",12} {"latency/bound max",17} {"outside",7}");
        foreach (var family in results.GroupBy(r => r.Timeline.Kind))
        {
            var list = family.ToList();
            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{family.Key,-14} {list.Count,5} {Short(list.Min(r => r.Timeline.Duration)) + ".." + Short(list.Max(r => r.Timeline.Duration)),-20} {list.Average(r => r.Polls),10:F1} {list.Max(r => r.Polls / r.PollBound),15:F2} {Short(TimeSpan.FromSeconds(list.Average(r => r.Latency.TotalSeconds))),12} {list.Max(r => r.Latency / r.LatencyBound),17:F2} {list.Count(r => !r.WithinBounds),7}"));
        }

        foreach (var bad in results.Where(r => !r.WithinBounds))
        {
            Console.WriteLine($"  outside: {bad.Timeline.Kind} queued {bad.Timeline.Queued} points {string.Join(" ", bad.Timeline.Breakpoints)} total {bad.Timeline.Total}: polls {bad.Polls}/{bad.PollBound:F1}, latency {bad.Latency}/{bad.LatencyBound}");
        }

        Console.WriteLine("Bounds: polls <= 20 + T / ceiling; completion noticed within max(15 s, 10% of T). A ratio above 1.00 is outside.");
    }

    private static string Short(TimeSpan span) => span.TotalHours >= 1
        ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalHours:F1}h")
        : span.TotalMinutes >= 1 ? string.Create(CultureInfo.InvariantCulture, $"{span.TotalMinutes:F1}m") : string.Create(CultureInfo.InvariantCulture, $"{span.TotalSeconds:F0}s");
}
