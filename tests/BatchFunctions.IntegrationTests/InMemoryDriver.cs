using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Time.Testing;

namespace BatchFunctions.IntegrationTests;

/// <summary>
/// Tests only: drives the decider with the real activities, deterministically. Timers move the fake clock
/// (which the emulator's jobs also run on) instead of sleeping.
/// </summary>
public sealed class InMemoryDriver(BatchActivities activities, FakeTimeProvider clock, WorkflowOptions options)
{
    /// <summary>Runs until the batch finishes, or until <paramref name="until"/> holds after a step.</summary>
    public async Task<BatchState> RunAsync(BatchState state, Func<BatchState, bool>? until = null, int maxSteps = 1000)
    {
        for (var step = 0; step < maxSteps; step++)
        {
            if (until?.Invoke(state) == true)
            {
                return state;
            }

            switch (BatchDecider.Decide(state, clock.GetUtcNow(), options))
            {
                case FinishBatch:
                    return state;
                case WaitUntil wait:
                    var delay = wait.WakeAt - clock.GetUtcNow();
                    clock.Advance(delay > TimeSpan.Zero ? delay : TimeSpan.FromMilliseconds(1));
                    break;
                case RunActivities run:
                    var results = await Task.WhenAll(run.Calls.Select(call => activities.ExecuteAsync(call)));
                    foreach (var result in results)
                    {
                        state = BatchDecider.Evolve(state, result with { CompletedAt = clock.GetUtcNow() }, options);
                    }

                    break;
            }
        }

        throw new InvalidOperationException($"The batch did not finish in {maxSteps} steps; it is {state.Phase}.");
    }
}
