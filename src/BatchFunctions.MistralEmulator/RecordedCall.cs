namespace BatchFunctions.MistralEmulator;

/// <summary>
/// One call the emulator received on <c>/v1</c>, for tests to inspect: <c>ElapsedMilliseconds</c> is the
/// call's own duration, <c>StartedMilliseconds</c> when it arrived, counted from the emulator's start.
/// </summary>
internal sealed record RecordedCall(long Sequence, string Method, string Path, string Query, int Status, string? Fault, DateTimeOffset At, double ElapsedMilliseconds, double StartedMilliseconds);
