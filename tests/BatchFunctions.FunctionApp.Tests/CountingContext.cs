using Microsoft.DurableTask;
using Microsoft.DurableTask.Entities;
using Microsoft.Extensions.Logging;

namespace BatchFunctions.FunctionApp.Tests;

/// <summary>
/// Passes every call to the engine's own context and counts the durable timers the orchestrator creates
/// (on first execution only, not on replay): how a test sees an orchestrator spinning through timers.
/// </summary>
internal sealed class CountingContext(TaskOrchestrationContext inner, TimerCount count) : TaskOrchestrationContext
{
    public override TaskName Name => inner.Name;

    public override string InstanceId => inner.InstanceId;

    public override ParentOrchestrationInstance? Parent => inner.Parent;

    public override DateTime CurrentUtcDateTime => inner.CurrentUtcDateTime;

    public override bool IsReplaying => inner.IsReplaying;

    public override string Version => inner.Version;

    public override IReadOnlyDictionary<string, object?> Properties => inner.Properties;

    public override TaskOrchestrationEntityFeature Entities => inner.Entities;

    protected override ILoggerFactory LoggerFactory => NullLoggerFactoryInstance;

    private static ILoggerFactory NullLoggerFactoryInstance { get; } = Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance;

    public override Task<TResult> CallActivityAsync<TResult>(TaskName name, object? input = null, TaskOptions? options = null) => inner.CallActivityAsync<TResult>(name, input, options);

    public override Task<TResult> CallSubOrchestratorAsync<TResult>(TaskName orchestratorName, object? input = null, TaskOptions? options = null) => inner.CallSubOrchestratorAsync<TResult>(orchestratorName, input, options);

    public override void ContinueAsNew(object? newInput = null, bool preserveUnprocessedEvents = true) => inner.ContinueAsNew(newInput, preserveUnprocessedEvents);

    public override Task CreateTimer(DateTime fireAt, CancellationToken cancellationToken)
    {
        if (!inner.IsReplaying)
        {
            count.Increment(inner.InstanceId);
        }

        return inner.CreateTimer(fireAt, cancellationToken);
    }

    public override T? GetInput<T>()
        where T : default => inner.GetInput<T>();

    public override Guid NewGuid() => inner.NewGuid();

    public override void SendEvent(string instanceId, string eventName, object payload) => inner.SendEvent(instanceId, eventName, payload);

    public override void SetCustomStatus(object? customStatus) => inner.SetCustomStatus(customStatus);

    public override Task<T> WaitForExternalEvent<T>(string eventName, CancellationToken cancellationToken = default) => inner.WaitForExternalEvent<T>(eventName, cancellationToken);
}

/// <summary>Timers created per instance.</summary>
public sealed class TimerCount
{
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);

    public int Of(string instanceId) => _counts.GetValueOrDefault(instanceId);

    internal void Increment(string instanceId) => _counts.AddOrUpdate(instanceId, 1, (_, n) => n + 1);
}
