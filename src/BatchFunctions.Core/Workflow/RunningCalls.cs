namespace BatchFunctions.Core.Workflow;

/// <summary>
/// The activity calls a driver has started and not yet folded into the state, by step key: with them a
/// driver decides again as soon as any call ends instead of when the slowest of a step does, so a part
/// goes on to its next stage while other parts' calls are still running (no step barrier). Both hosts
/// drive with it; it holds tasks, never decides.
/// </summary>
public sealed class RunningCalls
{
    private readonly List<(ActivityCall Call, Task<ActivityResult> Result)> _running = [];

    /// <summary>How many calls are running.</summary>
    public int Count => _running.Count;

    /// <summary>The running calls' tasks, to wait on.</summary>
    public IEnumerable<Task> Tasks => _running.Select(r => (Task)r.Result);

    /// <summary>
    /// Starts the calls of <paramref name="step"/> that are not running already (the decider, which knows
    /// nothing of calls in flight, names them again until their results are in). Finalize and reject end
    /// the batch, so they wait until nothing else runs.
    /// </summary>
    public void StartNew(BatchStep step, Func<ActivityCall, Task<ActivityResult>> start)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(start);
        if (step is not RunActivities run)
        {
            return;
        }

        foreach (var call in run.Calls)
        {
            if (_running.Any(r => r.Call.StepKey == call.StepKey) || (call is FinalizeCall or RejectInputCall && _running.Count > 0))
            {
                continue;
            }

            _running.Add((call, start(call)));
        }
    }

    /// <summary>The results of the calls that have ended, in the order they were started, taken off the running ones.</summary>
    public IReadOnlyList<ActivityResult> TakeCompleted()
    {
        var done = _running.Where(r => r.Result.IsCompleted).ToList();
        _running.RemoveAll(r => r.Result.IsCompleted);

        // A call that threw is a bug: it surfaces here, as it would from the whole step.
        return [.. done.Select(r => r.Result.GetAwaiter().GetResult())];
    }

    /// <summary>Lets every running call end (ignoring how), so that none outlives its driver's lease or scope.</summary>
    public async Task DrainAsync()
    {
        await Task.WhenAll(Tasks).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _running.Clear();
    }
}
