using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Workflow;

/// <summary>Where a batch is in its life.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<BatchPhase>))]
public enum BatchPhase
{
    /// <summary>Reading and checking the input.</summary>
    Validating,

    /// <summary>The input is invalid: writing its rejection report.</summary>
    Rejected,

    /// <summary>Splitting the input into parts.</summary>
    Staging,

    /// <summary>Uploading parts to Mistral's Files API.</summary>
    Uploading,

    /// <summary>Creating one batch job per part.</summary>
    Creating,

    /// <summary>Waiting for the jobs, polling them.</summary>
    Polling,

    /// <summary>Every job has ended: downloading their output and error files.</summary>
    Collecting,

    /// <summary>Merging results, writing the summary, archiving the input.</summary>
    Finalizing,

    /// <summary>Done; see the outcome.</summary>
    Completed,
}
