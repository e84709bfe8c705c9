using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Workflow;
using Microsoft.Azure.Functions.Worker;

namespace BatchFunctions.FunctionApp;

/// <summary>The activity functions: each delegates to Core's activity of the same name.</summary>
public sealed class BatchActivityFunctions(BatchActivities activities)
{
    /// <summary>Validate the input.</summary>
    [Function(ActivityNames.ValidateInput)]
    public Task<ActivityResult> ValidateInputAsync([ActivityTrigger] ValidateInputCall call, CancellationToken cancellationToken) => Run(call, cancellationToken);

    /// <summary>Reject the input.</summary>
    [Function(ActivityNames.RejectInput)]
    public Task<ActivityResult> RejectInputAsync([ActivityTrigger] RejectInputCall call, CancellationToken cancellationToken) => Run(call, cancellationToken);

    /// <summary>Stage the parts.</summary>
    [Function(ActivityNames.StageParts)]
    public Task<ActivityResult> StagePartsAsync([ActivityTrigger] StagePartsCall call, CancellationToken cancellationToken) => Run(call, cancellationToken);

    /// <summary>Upload a part.</summary>
    [Function(ActivityNames.UploadPart)]
    public Task<ActivityResult> UploadPartAsync([ActivityTrigger] UploadPartCall call, CancellationToken cancellationToken) => Run(call, cancellationToken);

    /// <summary>Create (or find) a job.</summary>
    [Function(ActivityNames.CreateJob)]
    public Task<ActivityResult> CreateJobAsync([ActivityTrigger] CreateJobCall call, CancellationToken cancellationToken) => Run(call, cancellationToken);

    /// <summary>Poll the jobs.</summary>
    [Function(ActivityNames.PollJobs)]
    public Task<ActivityResult> PollJobsAsync([ActivityTrigger] PollJobsCall call, CancellationToken cancellationToken) => Run(call, cancellationToken);

    /// <summary>Cancel jobs.</summary>
    [Function(ActivityNames.CancelJobs)]
    public Task<ActivityResult> CancelJobsAsync([ActivityTrigger] CancelJobsCall call, CancellationToken cancellationToken) => Run(call, cancellationToken);

    /// <summary>Collect a part.</summary>
    [Function(ActivityNames.CollectPart)]
    public Task<ActivityResult> CollectPartAsync([ActivityTrigger] CollectPartCall call, CancellationToken cancellationToken) => Run(call, cancellationToken);

    /// <summary>Finalize the batch.</summary>
    [Function(ActivityNames.FinalizeBatch)]
    public Task<ActivityResult> FinalizeAsync([ActivityTrigger] FinalizeCall call, CancellationToken cancellationToken) => Run(call, cancellationToken);

    private Task<ActivityResult> Run(ActivityCall call, CancellationToken cancellationToken) => activities.ExecuteAsync(call, cancellationToken);
}
