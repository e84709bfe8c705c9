namespace BatchFunctions.Core.Workflow;

/// <summary>A step that failed transiently and waits to be tried again.</summary>
/// <param name="Step">The step's key (activity and part).</param>
/// <param name="Attempts">Failed attempts so far.</param>
/// <param name="NotBefore">When it may run again.</param>
/// <param name="LastError">The last failure, for the status.</param>
public sealed record RetryState(string Step, int Attempts, DateTimeOffset NotBefore, string LastError);
