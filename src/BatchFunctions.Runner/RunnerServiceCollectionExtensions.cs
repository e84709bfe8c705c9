using BatchFunctions.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace BatchFunctions.Runner;

/// <summary>Registers the self-hosted runner on top of Core.</summary>
public static class RunnerServiceCollectionExtensions
{
    /// <summary>Adds Core, the state store and the runner.</summary>
    public static IServiceCollection AddBatchFunctionsRunner(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddBatchFunctionsCore(configuration);
        services.AddOptions<RunnerOptions>().Bind(configuration.GetSection(RunnerOptions.SectionName));
        services.AddSingleton<InstanceStore>();
        services.AddTransient<BatchRunner>();
        return services;
    }
}
