namespace BatchFunctions.Benchmarks;

/// <summary>What one measurement reports: bytes and lines processed, wall time, and the process's peak resident memory.</summary>
internal sealed record MeasurementResult(long Bytes, long Lines, double Seconds, long PeakBytes);
