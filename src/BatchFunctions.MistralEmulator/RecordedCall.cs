namespace BatchFunctions.MistralEmulator;

/// <summary>One call the emulator received on <c>/v1</c>, for tests to inspect.</summary>
internal sealed record RecordedCall(long Sequence, string Method, string Path, string Query, int Status, string? Fault, DateTimeOffset At, double ElapsedMilliseconds);
