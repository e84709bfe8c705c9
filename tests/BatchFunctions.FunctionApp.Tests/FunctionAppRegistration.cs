using BatchFunctions.Core.Workflow;
using Microsoft.DurableTask;
using Microsoft.Extensions.DependencyInjection;

namespace BatchFunctions.FunctionApp.Tests;

/// <summary>
/// The Function App's orchestrator and activity functions on a Durable Task registry, made from the app's
/// services and bound by name as the Functions host binds them. The tests' host and the benchmark (which
/// measures the app's activities) register them through this one list, so neither can miss a function.
/// </summary>
internal static class FunctionAppRegistration
{
    /// <param name="registry">The engine's registry.</param>
    /// <param name="services">The app's services (from <c>AddBatchFunctionsApp</c>).</param>
    /// <param name="context">Wraps the engine's context before the orchestrator sees it (a test counting timers), or null.</param>
    /// <param name="throwIn">An activity that throws instead of running (a test's activity with a bug), or null.</param>
    public static void Register(DurableTaskRegistry registry, IServiceProvider services, Func<TaskOrchestrationContext, TaskOrchestrationContext>? context = null, string? throwIn = null)
    {
        var orchestrator = ActivatorUtilities.CreateInstance<BatchOrchestrator>(services);
        var activities = ActivatorUtilities.CreateInstance<BatchActivityFunctions>(services);
        registry.AddOrchestratorFunc<BatchState, BatchStatus>(BatchOrchestrator.Name, (engine, _) => orchestrator.RunAsync(context is null ? engine : context(engine)));
        Add<ValidateInputCall>(ActivityNames.ValidateInput, activities.ValidateInputAsync);
        Add<RejectInputCall>(ActivityNames.RejectInput, activities.RejectInputAsync);
        Add<StagePartsCall>(ActivityNames.StageParts, activities.StagePartsAsync);
        Add<UploadPartCall>(ActivityNames.UploadPart, activities.UploadPartAsync);
        Add<CreateJobCall>(ActivityNames.CreateJob, activities.CreateJobAsync);
        Add<PollJobsCall>(ActivityNames.PollJobs, activities.PollJobsAsync);
        Add<CancelJobsCall>(ActivityNames.CancelJobs, activities.CancelJobsAsync);
        Add<CollectPartCall>(ActivityNames.CollectPart, activities.CollectPartAsync);
        Add<FinalizeCall>(ActivityNames.FinalizeBatch, activities.FinalizeAsync);

        void Add<TCall>(string name, Func<TCall, CancellationToken, Task<ActivityResult>> function)
            where TCall : ActivityCall =>
            registry.AddActivityFunc<TCall, ActivityResult>(name, (_, call) => name == throwIn
                ? throw new InvalidOperationException($"{name} has a bug.")
                : function(call, CancellationToken.None));
    }
}
