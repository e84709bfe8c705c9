using System.Collections.Concurrent;
using System.Diagnostics;

namespace BatchFunctions.MistralEmulator;

/// <summary>Remembers every <c>/v1</c> call, so tests can assert what a client really sent.</summary>
internal sealed class CallRecorder(TimeProvider timeProvider)
{
    private readonly ConcurrentQueue<RecordedCall> _calls = new();
    private readonly Stopwatch _stopwatch = Stopwatch.StartNew();
    private long _sequence;

    public void Record(string method, string path, string query, int status, string? fault) =>
        _calls.Enqueue(new RecordedCall(Interlocked.Increment(ref _sequence), method, path, query, status, fault, timeProvider.GetUtcNow(), _stopwatch.Elapsed.TotalMilliseconds));

    public IReadOnlyList<RecordedCall> Snapshot() => [.. _calls];

    public void Clear() => _calls.Clear();
}
