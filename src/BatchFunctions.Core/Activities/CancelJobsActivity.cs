using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Activities;

/// <summary>Asks Mistral to cancel jobs; a job that already ended is simply reported as it is.</summary>
public sealed class CancelJobsActivity(MistralClient mistral) : IBatchActivity<CancelJobsCall>
{
    /// <inheritdoc/>
    public async Task<ActivityResult> RunAsync(CancelJobsCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var jobs = new List<JobSnapshot>();
        foreach (var id in call.JobIds)
        {
            BatchJob job;
            try
            {
                job = await mistral.CancelBatchJobAsync(id, cancellationToken);
            }
            catch (MistralApiException exception) when (!exception.IsTransient)
            {
                job = await mistral.GetBatchJobAsync(id, cancellationToken: cancellationToken);
            }

            jobs.Add(JobSnapshots.Of(job));
        }

        return ActivityResult.Success(call, new JobsPayload(jobs));
    }
}
