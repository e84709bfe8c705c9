namespace BatchFunctions.MistralEmulator;

/// <summary>The processing settings an admin call may change while the emulator runs.</summary>
internal sealed record EmulatorSettings(TimeSpan QueueDelay, double RequestsPerSecond, TimeSpan CancellationDelay, bool IgnoreListMetadata = false, long MaxPendingRequests = 0, double MaxApiRequestsPerSecond = 0);
