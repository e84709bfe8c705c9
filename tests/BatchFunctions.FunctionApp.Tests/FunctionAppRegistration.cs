using BatchFunctions.Core.Workflow;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

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

    /// <summary>Starts the Durable Task test host with the functions <paramref name="register"/> registers.</summary>
    public static async Task<DurableTaskTestHost> StartTestHostAsync(Action<DurableTaskRegistry> register)
    {
        // The test host draws its sidecar's port at random without looking whether it is free, and runs beside
        // Azurite, emulators and other hosts: ask the system for a free one, and draw again should it be taken
        // in the moment between.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await DurableTaskTestHost.StartAsync(register, new DurableTaskTestHostOptions { Port = FreeLoopbackPort(), LoggerFactory = NullLoggerFactory.Instance });
            }
            catch (IOException exception) when (attempt < 3 && exception.InnerException is Microsoft.AspNetCore.Connections.AddressInUseException)
            {
            }
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
