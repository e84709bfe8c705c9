using System.Text.Json;

namespace BatchFunctions.Core.Mistral;

/// <summary>One inline request of a batch job: the same shape as a line of an input file.</summary>
public sealed record BatchRequest
{
    /// <summary>The caller's id for this request, echoed in its result.</summary>
    public string? CustomId { get; init; }

    /// <summary>The endpoint's request body.</summary>
    public required JsonElement Body { get; init; }
}
