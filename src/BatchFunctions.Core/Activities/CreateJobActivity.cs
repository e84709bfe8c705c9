using System.Globalization;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Logging;

namespace BatchFunctions.Core.Activities;

/// <summary>Finds the part's job by its metadata, or creates it: a retry never pays twice.</summary>
public sealed class CreateJobActivity(MistralClient mistral, ILogger<CreateJobActivity> logger) : IBatchActivity<CreateJobCall>
{
    /// <inheritdoc/>
    public async Task<ActivityResult> RunAsync(CreateJobCall call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var part = call.PartIndex.ToString(CultureInfo.InvariantCulture);
        var tags = new Dictionary<string, string> { [BatchSettingsResolver.InstanceKey] = call.InstanceId, [BatchSettingsResolver.PartKey] = part };
        var found = await mistral.ListBatchJobsAsync(new BatchJobListQuery { Metadata = tags, OldestFirst = true, PageSize = 10 }, cancellationToken);
        if (found.Data.Count > 0 && found.Data[0] is { } existing)
        {
            ActivityLog.JobReused(logger, existing.Id, call.InstanceId, call.PartIndex);
            return ActivityResult.Success(call, new JobCreatedPayload(existing.Id, existing.Status.Value, JobSnapshots.Of(existing)));
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
        return ActivityResult.Success(call, new JobCreatedPayload(job.Id, job.Status.Value, JobSnapshots.Of(job)));
    }
}
