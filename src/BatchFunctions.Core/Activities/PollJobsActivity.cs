using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Activities;

/// <summary>Refreshes every unfinished job, a few at a time: one poll of ten parts costs one round trip, not ten.</summary>
public sealed class PollJobsActivity(MistralClient mistral) : IBatchActivity<PollJobsCall>
{
    // Status reads are small; a few at once keeps a batch of many parts from opening a connection per part.
    private const int MaxParallelPolls = 8;

    /// <inheritdoc/>
    public async Task<ActivityResult> RunAsync(PollJobsCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var jobs = new JobSnapshot[call.JobIds.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, jobs.Length),
            new ParallelOptions { MaxDegreeOfParallelism = MaxParallelPolls, CancellationToken = cancellationToken },
            async (index, token) => jobs[index] = JobSnapshots.Of(await mistral.GetBatchJobAsync(call.JobIds[index], cancellationToken: token)));
        return ActivityResult.Success(call, new JobsPayload(jobs));
    }
}
