namespace BatchFunctions.Core.Workflow;

/// <summary>The polling schedule and what the last poll saw.</summary>
/// <param name="Since">When the newest job was created: polling delays grow with the time since.</param>
/// <param name="NextPollAt">When to poll next.</param>
/// <param name="Polls">Polls made.</param>
/// <param name="LastPollAt">When the last poll answered.</param>
/// <param name="LastCompleted">Requests completed over all jobs at the last poll.</param>
public sealed record PollState(DateTimeOffset Since, DateTimeOffset NextPollAt, int Polls = 0, DateTimeOffset? LastPollAt = null, long LastCompleted = 0);
