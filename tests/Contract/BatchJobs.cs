using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Settings;

namespace BatchFunctions.Tests.Contract;

/// <summary>What Mistral holds for a batch, read the way every test host reads it.</summary>
public static class BatchJobs
{
    /// <summary>The Mistral jobs tagged with a batch's id.</summary>
    public static async Task<List<BatchJob>> OfAsync(MistralClient mistral, string instanceId)
    {
        ArgumentNullException.ThrowIfNull(mistral);
        var jobs = new List<BatchJob>();
        await foreach (var job in mistral.GetAllBatchJobsAsync(new BatchJobListQuery { Metadata = new Dictionary<string, string> { [BatchSettingsResolver.InstanceKey] = instanceId } }))
        {
            jobs.Add(job);
        }

        return jobs;
    }
}
