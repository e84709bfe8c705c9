using Azure;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Runner;

/// <summary>The outcome of starting a batch in the store.</summary>
/// <param name="State">The batch's state (the new one, or the existing one); null when <paramref name="Expired"/>.</param>
/// <param name="Version">The record's version.</param>
/// <param name="Created">Whether this call created it.</param>
/// <param name="Expired">The batch ran already and its record expired.</param>
public sealed record StartResult(BatchState? State, ETag Version, bool Created, bool Expired);
