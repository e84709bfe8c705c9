using System.Text.Json;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using BatchFunctions.FunctionApp;
using BatchFunctions.FunctionApp.Tests;
using BatchFunctions.Tests.Contract;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.DependencyInjection;

namespace BatchFunctions.Benchmarks;

/// <summary>
/// The end-to-end child for the Function App: its own orchestrator and activity functions, from its own service
/// registration, on the Durable Task replay engine in this process (the SDK's in-process test host, as its
/// tests run them), started by its own starter. The Functions host cannot run here, so this is the nearest
/// measure of what the app's worker holds: the peak includes the engine's in-memory history and its gRPC
/// sidecar, which a deployed app keeps in the host process and the task hub instead.
/// </summary>
internal static class FunctionAppEndToEnd
{
    public static async Task<int> MeasureAsync(string name, string etag, string storage, string mistral)
    {
        var counter = new StorageTrafficCounter();
        await using var services = EndToEnd.ChildServices(counter, "AzureWebJobsStorage", storage, mistral, (host, configuration) => host.AddBatchFunctionsApp(configuration));
        await ActivatorUtilities.CreateInstance<StorageInitializer>(services).StartAsync(CancellationToken.None);
        var batchStorage = services.GetRequiredService<BatchStorage>();
        await using var durable = await FunctionAppRegistration.StartTestHostAsync(registry => FunctionAppRegistration.Register(registry, services));

        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        var phases = new EndToEnd.PhaseClock(seconds, allocations: null);
        var source = new BatchSource(batchStorage.AccountName, batchStorage.Options.InputContainer, name, etag);
        var (instanceId, _) = await services.GetRequiredService<BatchStarter>().StartAsync(durable.Client, source, CancellationToken.None);
        using var done = new CancellationTokenSource();
        var watch = WatchPhasesAsync(durable.Client, instanceId, phases, done.Token);
        var instance = await durable.Client.WaitForInstanceCompletionAsync(instanceId, getInputsAndOutputs: true);
        await done.CancelAsync();
        await watch;
        phases.End();
        var status = instance.ReadOutputAs<BatchStatus>();
        if (instance.RuntimeStatus != OrchestrationRuntimeStatus.Completed || status?.Outcome != BatchOutcome.Succeeded)
        {
            await Console.Error.WriteLineAsync($"batch ended {instance.RuntimeStatus} {status?.Outcome}: {instance.FailureDetails?.ErrorMessage ?? status?.Failure}");
            return 1;
        }

        var result = new EndToEndResult(instanceId, seconds, counter.BytesRead, counter.BytesWritten, Measurement.PeakResidentBytes());
        Console.WriteLine(JsonSerializer.Serialize(result, BenchJsonContext.Default.EndToEndResult));
        return 0;
    }

    /// <summary>
    /// The phases as the orchestrator publishes them (its custom status, each step), read four times a second:
    /// a phase's seconds are good to a quarter of a second, which at these sizes is what they are for.
    /// </summary>
    private static async Task WatchPhasesAsync(DurableTaskClient client, string instanceId, EndToEnd.PhaseClock phases, CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                if ((await client.GetInstanceAsync(instanceId, getInputsAndOutputs: true, cancellationToken))?.ReadCustomStatusAs<BatchStatus>() is { } status)
                {
                    phases.Report(status);
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
