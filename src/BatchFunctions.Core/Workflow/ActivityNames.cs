namespace BatchFunctions.Core.Workflow;

/// <summary>The activities' names, shared by both hosts.</summary>
public static class ActivityNames
{
    /// <summary>Validate the input.</summary>
    public const string ValidateInput = "ValidateInput";

    /// <summary>Reject the input.</summary>
    public const string RejectInput = "RejectInput";

    /// <summary>Stage the parts.</summary>
    public const string StageParts = "StageParts";

    /// <summary>Upload a part.</summary>
    public const string UploadPart = "UploadPart";

    /// <summary>Create a job.</summary>
    public const string CreateJob = "CreateJob";

    /// <summary>Poll the jobs.</summary>
    public const string PollJobs = "PollJobs";

    /// <summary>Cancel jobs.</summary>
    public const string CancelJobs = "CancelJobs";

    /// <summary>Collect a part.</summary>
    public const string CollectPart = "CollectPart";

    /// <summary>Finalize the batch.</summary>
    public const string FinalizeBatch = "FinalizeBatch";
}
