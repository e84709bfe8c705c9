using BatchFunctions.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Runner;

/// <summary>Registers the self-hosted runner on top of Core.</summary>
public static class RunnerServiceCollectionExtensions
{
    /// <summary>
    /// Adds Core, the state store, the runner, and the scheduler, input watcher and queue listener (as hosted
    /// services: they run when a host runs them).
    /// </summary>
    public static IServiceCollection AddBatchFunctionsRunner(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddBatchFunctionsCore(configuration);
        services.AddOptions<RunnerOptions>().Bind(configuration.GetSection(RunnerOptions.SectionName)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RunnerOptions>, RunnerOptionsValidator>());
        services.AddSingleton<InstanceStore>();
        services.AddSingleton<RunnerIdentity>();

        // Transient, as the activities it holds: their Mistral HttpClient is rotated by the factory.
        services.AddTransient<BatchRunner>();
        services.AddTransient<RunnerInstances>();
        services.AddSingleton<BatchScheduler>();
        services.AddSingleton<InputWatcher>();
        services.AddSingleton<RequestQueueListener>();
        services.AddHostedService(provider => provider.GetRequiredService<BatchScheduler>());
        services.AddHostedService(provider => provider.GetRequiredService<InputWatcher>());
        services.AddHostedService(provider => provider.GetRequiredService<RequestQueueListener>());
        return services;
    }
}
