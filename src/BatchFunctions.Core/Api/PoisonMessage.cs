namespace BatchFunctions.Core.Api;

/// <summary>A request message that could not start a batch, set aside with why.</summary>
/// <param name="Reason">Why it failed, last attempt's reason.</param>
/// <param name="Attempts">How many times it was tried.</param>
/// <param name="MessageId">The original message's id.</param>
/// <param name="FailedAt">When it was set aside.</param>
/// <param name="Message">The original message text, unchanged.</param>
public sealed record PoisonMessage(string Reason, long Attempts, string MessageId, DateTimeOffset FailedAt, string Message);
