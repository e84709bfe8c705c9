using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace BatchFunctions.Benchmarks;

/// <summary>
/// The runtime's allocation samples (one event about every 100 KB allocated, naming the type that crossed it),
/// added up per phase: what a phase's allocated megabytes are made of. On when BENCH_ALLOCATIONS=1.
/// </summary>
internal sealed class AllocationSampler : EventListener
{
    private const EventKeywords GcKeyword = (EventKeywords)0x1;
    private readonly ConcurrentDictionary<string, long> _bytes = new(StringComparer.Ordinal);

    public static AllocationSampler? StartIfAsked() =>
        Environment.GetEnvironmentVariable("BENCH_ALLOCATIONS") == "1" ? new AllocationSampler() : null;

    /// <summary>The types that took most, largest first, and starts counting afresh.</summary>
    public string TakeTop(int count)
    {
        var top = _bytes.OrderByDescending(pair => pair.Value).Take(count).Select(pair => $"{pair.Key} {pair.Value / 1e6:F1} MB");
        var text = string.Join("; ", top);
        _bytes.Clear();
        return text;
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        if (eventSource.Name == "Microsoft-Windows-DotNETRuntime")
        {
            EnableEvents(eventSource, EventLevel.Verbose, GcKeyword);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs eventData)
    {
        if (eventData.EventName is { } name && name.StartsWith("GCAllocationTick", StringComparison.Ordinal) && eventData.Payload is { } payload && eventData.PayloadNames is { } names)
        {
            var type = payload[names.IndexOf("TypeName")] as string ?? "?";
            var amount = Convert.ToInt64(payload[names.IndexOf("AllocationAmount64")], System.Globalization.CultureInfo.InvariantCulture);
            _bytes.AddOrUpdate(type, amount, (_, total) => total + amount);
        }
    }
}
