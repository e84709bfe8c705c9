using System.Globalization;
using BatchFunctions.Core.Capacity;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Settings;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Logging;

namespace BatchFunctions.Core.Activities;

/// <summary>
/// Finds the part's job by its metadata, or creates it once the part is granted workspace capacity: a retry never
/// pays twice, and a part that does not fit waits in the workspace's queue, looking again on a durable timer.
/// </summary>
public sealed class CreateJobActivity(MistralClient mistral, WorkspaceCapacity capacity, ILogger<CreateJobActivity> logger) : IBatchActivity<CreateJobCall>
{
    /// <inheritdoc/>
    public async Task<ActivityResult> RunAsync(CreateJobCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var part = call.PartIndex.ToString(CultureInfo.InvariantCulture);
        var tags = new Dictionary<string, string> { [BatchSettingsResolver.InstanceKey] = call.InstanceId, [BatchSettingsResolver.PartKey] = part };
        if (await FindOursAsync(call, tags, cancellationToken) is { } existing)
        {
            ActivityLog.JobReused(logger, existing.Id, call.InstanceId, call.PartIndex);
            await capacity.CreatedAsync(call.InstanceId, call.PartIndex, cancellationToken);
            return ActivityResult.Success(call, new JobCreatedPayload(existing.Id, existing.Status.Value, JobSnapshots.Of(existing)));
        }

        var admission = await capacity.AdmitAsync(new CapacityRequest(call.InstanceId, call.PartIndex, call.Requests, call.Settings.Priority, call.BatchStartedAt ?? DateTimeOffset.MinValue), cancellationToken);
        if (!admission.Granted)
        {
            return ActivityResult.Wait(call, admission.Describe(), capacity.Recheck);
        }

        var metadata = new Dictionary<string, string>(call.Settings.Metadata, StringComparer.Ordinal);
        foreach (var (key, value) in tags)
        {
            metadata[key] = value;
        }

        var job = await mistral.CreateBatchJobAsync(
            new CreateBatchJobRequest
            {
                Endpoint = ApiEndpoint.FromValue(call.Settings.Endpoint),
                InputFiles = [call.FileId],
                Model = call.Settings.Model,
                Metadata = metadata,
                TimeoutHours = call.Settings.TimeoutHours,
            },
            cancellationToken);
        await capacity.CreatedAsync(call.InstanceId, call.PartIndex, cancellationToken);
        return ActivityResult.Success(call, new JobCreatedPayload(job.Id, job.Status.Value, JobSnapshots.Of(job)));
    }

    /// <summary>
    /// The job an earlier attempt made for this part (its answer lost), or null. How Mistral applies a metadata
    /// query is undocumented (a server that ignored it would list the workspace's jobs, another team's too), so
    /// the list is only narrowed by it, by <c>created_by_me</c> and by the batch's start, and each job's own
    /// metadata decides, page after page.
    /// </summary>
    private async Task<BatchJob?> FindOursAsync(CreateJobCall call, Dictionary<string, string> tags, CancellationToken cancellationToken)
    {
        var query = BatchJobLists.Narrowed(tags, call.BatchStartedAt) with { OldestFirst = true };
        await foreach (var job in mistral.GetAllBatchJobsAsync(query, cancellationToken))
        {
            if (job.Metadata is { } metadata && tags.All(tag => metadata.TryGetValue(tag.Key, out var value) && value == tag.Value))
            {
                return job;
            }
        }

        return null;
    }
}
