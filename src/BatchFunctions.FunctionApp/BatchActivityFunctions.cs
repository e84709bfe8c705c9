using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Workflow;
using Microsoft.Azure.Functions.Worker;

namespace BatchFunctions.FunctionApp;

/// <summary>The activity functions: each delegates to Core's activity of the same name.</summary>
public sealed class BatchActivityFunctions(BatchActivities activities)
{
    /// <summary>Validate the input.</summary>
    [Function(ActivityNames.ValidateInput)]
    public Task<ActivityResult> ValidateInputAsync([ActivityTrigger] ValidateInputCall call, FunctionContext context) => Run(call, context);

    /// <summary>Reject the input.</summary>
    [Function(ActivityNames.RejectInput)]
    public Task<ActivityResult> RejectInputAsync([ActivityTrigger] RejectInputCall call, FunctionContext context) => Run(call, context);

    /// <summary>Stage the parts.</summary>
    [Function(ActivityNames.StageParts)]
    public Task<ActivityResult> StagePartsAsync([ActivityTrigger] StagePartsCall call, FunctionContext context) => Run(call, context);

    /// <summary>Upload a part.</summary>
    [Function(ActivityNames.UploadPart)]
    public Task<ActivityResult> UploadPartAsync([ActivityTrigger] UploadPartCall call, FunctionContext context) => Run(call, context);

    /// <summary>Create (or find) a job.</summary>
    [Function(ActivityNames.CreateJob)]
    public Task<ActivityResult> CreateJobAsync([ActivityTrigger] CreateJobCall call, FunctionContext context) => Run(call, context);

    /// <summary>Poll the jobs.</summary>
    [Function(ActivityNames.PollJobs)]
    public Task<ActivityResult> PollJobsAsync([ActivityTrigger] PollJobsCall call, FunctionContext context) => Run(call, context);

    /// <summary>Cancel jobs.</summary>
    [Function(ActivityNames.CancelJobs)]
    public Task<ActivityResult> CancelJobsAsync([ActivityTrigger] CancelJobsCall call, FunctionContext context) => Run(call, context);

    /// <summary>Collect a part.</summary>
    [Function(ActivityNames.CollectPart)]
    public Task<ActivityResult> CollectPartAsync([ActivityTrigger] CollectPartCall call, FunctionContext context) => Run(call, context);

    /// <summary>Finalize the batch.</summary>
    [Function(ActivityNames.FinalizeBatch)]
    public Task<ActivityResult> FinalizeAsync([ActivityTrigger] FinalizeCall call, FunctionContext context) => Run(call, context);

    private Task<ActivityResult> Run(ActivityCall call, FunctionContext context) => activities.ExecuteAsync(call, context.CancellationToken);
}
