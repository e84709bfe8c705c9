using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Workflow;

/// <summary>What the decider says to do next.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "step")]
[JsonDerivedType(typeof(RunActivities), "run")]
[JsonDerivedType(typeof(WaitUntil), "wait")]
[JsonDerivedType(typeof(FinishBatch), "finish")]
public abstract record BatchStep;

/// <summary>Run these activities, at once, and feed every result to <see cref="BatchDecider.Evolve"/>.</summary>
public sealed record RunActivities(IReadOnlyList<ActivityCall> Calls) : BatchStep;

/// <summary>Wait until this time (a durable timer), or until a cancel request arrives.</summary>
public sealed record WaitUntil(DateTimeOffset WakeAt) : BatchStep;

/// <summary>The batch is over.</summary>
public sealed record FinishBatch(BatchOutcome Outcome) : BatchStep;
