using BatchFunctions.Core.Mistral;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core;

/// <summary>Registers everything Core offers to a host.</summary>
public static class BatchFunctionsCoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Mistral client (typed <see cref="HttpClient"/> with the resilience pipeline) and validates its
    /// options at start-up. <c>MISTRAL_API_KEY</c> and <c>MISTRAL_BASE_URL</c> fill in what the
    /// <c>Mistral</c> section leaves empty.
    /// </summary>
    public static IServiceCollection AddBatchFunctionsCore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<MistralClientOptions>()
            .Bind(configuration.GetSection(MistralClientOptions.SectionName))
            .PostConfigure(options =>
            {
                if (string.IsNullOrWhiteSpace(options.ApiKey))
                {
                    options.ApiKey = configuration["MISTRAL_API_KEY"];
                }

                if (configuration["MISTRAL_BASE_URL"] is { Length: > 0 } baseUrl && configuration[$"{MistralClientOptions.SectionName}:BaseAddress"] is null)
                {
                    options.BaseAddress = new Uri(baseUrl, UriKind.RelativeOrAbsolute);
                }
            })
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<MistralClientOptions>, MistralClientOptionsValidator>());

        services.AddHttpClient<MistralClient>((provider, client) =>
            {
                var options = provider.GetRequiredService<IOptions<MistralClientOptions>>().Value;
                var address = options.BaseAddress.AbsoluteUri;
                client.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
                client.DefaultRequestHeaders.Authorization = new("Bearer", options.ApiKey);
                client.DefaultRequestHeaders.UserAgent.ParseAdd("BatchFunctions/1.0");

                // Attempts are bounded by the resilience pipeline's per-request timeouts instead, so that a
                // 500 MB upload is not cut off by a limit meant for a status read.
                client.Timeout = Timeout.InfiniteTimeSpan;
            })
            // The factory's default request logging puts raw header values, the bearer token included, into
            // its structured log state (only the rendered text is redacted), where any structured sink would
            // store them. MistralClient logs its own calls instead: method, path, status, ids.
            .RemoveAllLoggers()
            .AddResilienceHandler("mistral", (pipeline, context) =>
            {
                var provider = context.ServiceProvider;
                MistralResilience.Configure(
                    pipeline,
                    provider.GetRequiredService<IOptions<MistralClientOptions>>().Value,
                    provider.GetRequiredService<TimeProvider>(),
                    provider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MistralClient).FullName!));
            });

        return services;
    }
}
