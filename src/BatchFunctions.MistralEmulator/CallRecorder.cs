using System.Collections.Concurrent;
using System.Diagnostics;

namespace BatchFunctions.MistralEmulator;

/// <summary>
/// Remembers every <c>/v1</c> call, numbered and timed by arrival, so tests can assert what a client really
/// sent. A call is recorded as it arrives (status 0) and its status is set just before its response starts,
/// so a client never sees an answer the record does not show yet.
/// </summary>
internal sealed class CallRecorder(TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<long, RecordedCall> _calls = new();
    private readonly ConcurrentDictionary<long, long> _startedAt = new();
    private readonly Stopwatch _sinceStart = Stopwatch.StartNew();
    private long _sequence;

    public RecordedCall Start(string method, string path, string query)
    {
        var call = new RecordedCall(Interlocked.Increment(ref _sequence), method, path, query, 0, null, timeProvider.GetUtcNow(), 0, _sinceStart.Elapsed.TotalMilliseconds);
        _startedAt[call.Sequence] = Stopwatch.GetTimestamp();
        _calls[call.Sequence] = call;
        return call;
    }

    /// <summary>Records how the call ended and how long it took (its own duration, not the time since the emulator started).</summary>
    public void Complete(RecordedCall call, int status, string? fault)
    {
        var elapsed = _startedAt.TryGetValue(call.Sequence, out var started) ? Stopwatch.GetElapsedTime(started).TotalMilliseconds : 0;
        if (_calls.ContainsKey(call.Sequence))
        {
            _calls[call.Sequence] = call with { Status = status, Fault = fault, ElapsedMilliseconds = elapsed };
        }
    }

    public IReadOnlyList<RecordedCall> Snapshot() => [.. _calls.Values.OrderBy(c => c.Sequence)];

    public void Clear()
    {
        _calls.Clear();
        _startedAt.Clear();
    }
}
