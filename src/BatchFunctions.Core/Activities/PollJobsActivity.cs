using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Settings;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Activities;

/// <summary>
/// Refreshes every unfinished job of a batch. From <see cref="ListFrom"/> jobs on, one page of the job list
/// (narrowed to the batch's jobs) reads up to a hundred of them in one call, so a poll round of N jobs costs
/// about N/100 calls against the workspace's request budget; a job the list does not show is read directly,
/// a few at a time.
/// </summary>
public sealed class PollJobsActivity(MistralClient mistral) : IBatchActivity<PollJobsCall>
{
    /// <summary>From how many jobs a poll reads the list: below, reading each costs no more than a page.</summary>
    public const int ListFrom = 3;

    // Status reads are small; a few at once keeps a batch of many parts from opening a connection per part.
    private const int MaxParallelPolls = 8;

    private const int PageSize = 100;

    /// <inheritdoc/>
    public async Task<ActivityResult> RunAsync(PollJobsCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var found = call.JobIds.Count >= ListFrom ? await ReadFromListAsync(call, cancellationToken) : [];
        var missing = call.JobIds.Where(id => !found.ContainsKey(id)).Distinct(StringComparer.Ordinal).ToList();
        var read = new JobSnapshot[missing.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, read.Length),
            new ParallelOptions { MaxDegreeOfParallelism = MaxParallelPolls, CancellationToken = cancellationToken },
            async (index, token) => read[index] = JobSnapshots.Of(await mistral.GetBatchJobAsync(missing[index], cancellationToken: token)));
        foreach (var job in read)
        {
            found[job.JobId] = job;
        }

        return ActivityResult.Success(call, new JobsPayload([.. call.JobIds.Select(id => found[id])]));
    }

    /// <summary>
    /// The batch's jobs as the list shows them, by id: only ids the batch holds are taken, so a list whose
    /// metadata filter a server ignored costs pages, never a wrong job; the pages read are bounded, and a list
    /// that fails leaves every job to be read directly.
    /// </summary>
    private async Task<Dictionary<string, JobSnapshot>> ReadFromListAsync(PollJobsCall call, CancellationToken cancellationToken)
    {
        var wanted = new HashSet<string>(call.JobIds, StringComparer.Ordinal);
        var found = new Dictionary<string, JobSnapshot>(StringComparer.Ordinal);
        var query = BatchJobLists.Narrowed(new Dictionary<string, string> { [BatchSettingsResolver.InstanceKey] = call.InstanceId }, call.BatchStartedAt) with { PageSize = PageSize };
        var budget = ((wanted.Count / PageSize) + 2) * PageSize;
        try
        {
            await foreach (var job in mistral.GetAllBatchJobsAsync(query, cancellationToken))
            {
                if (wanted.Contains(job.Id))
                {
                    found[job.Id] = JobSnapshots.Of(job);
                }

                if (found.Count == wanted.Count || --budget == 0)
                {
                    break;
                }
            }
        }
        catch (MistralApiException)
        {
            // The HTTP layer has retried what it could; the jobs are read one by one instead.
        }

        return found;
    }
}
