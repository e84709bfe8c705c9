using BatchFunctions.Core;
using BatchFunctions.Core.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace BatchFunctions.FunctionApp;

/// <summary>The Function App's wiring: Core, plus the container names the trigger bindings also read.</summary>
public static class FunctionAppServiceCollectionExtensions
{
    /// <summary>Adds Core and the app's services.</summary>
    public static IServiceCollection AddBatchFunctionsApp(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddBatchFunctionsCore(configuration);

        // The blob trigger's path is the app setting BATCH_INPUT_CONTAINER; Core must read the same container.
        services.PostConfigure<BatchStorageOptions>(options =>
        {
            if (configuration[AppSettings.InputContainer] is { Length: > 0 } input)
            {
                options.InputContainer = input;
            }
        });
        services.AddSingleton<BatchStarter>();
        services.AddHostedService<StorageInitializer>();
        return services;
    }
}
