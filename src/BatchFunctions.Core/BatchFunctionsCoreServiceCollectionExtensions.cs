using Azure.Identity;
using Azure.Storage.Blobs;
using Azure.Storage.Queues;
using BatchFunctions.Core.Activities;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Capacity;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Pricing;
using BatchFunctions.Core.Settings;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Polly;

namespace BatchFunctions.Core;

/// <summary>Registers everything Core offers to a host.</summary>
public static class BatchFunctionsCoreServiceCollectionExtensions
{
    /// <summary>
    /// Adds the Mistral client (typed <see cref="HttpClient"/> with the resilience pipeline), the storage
    /// clients, the workflow options and the activities, with options validated at start-up.
    /// <c>MISTRAL_API_KEY</c> and <c>MISTRAL_BASE_URL</c> fill in what the <c>Mistral</c> section leaves
    /// empty; <c>AzureWebJobsStorage</c> is the storage fallback.
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

        var mistralClient = services.AddHttpClient<MistralClient>((provider, client) =>
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
            .RemoveAllLoggers();
        mistralClient.AddResilienceHandler("mistral", (pipeline, context) =>
        {
            var provider = context.ServiceProvider;
            MistralResilience.Configure(
                pipeline,
                provider.GetRequiredService<IOptions<MistralClientOptions>>().Value,
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(MistralClient).FullName!));
        });

        // Inside the retries: every attempt spends the process's budget.
        mistralClient.AddHttpMessageHandler<MistralBudgetHandler>();
        services.TryAddSingleton<MistralRequestBudget>();
        services.TryAddTransient<MistralBudgetHandler>();

        AddStorage(services, configuration);
        services.AddOptions<WorkflowOptions>().Bind(configuration.GetSection(WorkflowOptions.SectionName));
        services.AddOptions<BatchDefaultsOptions>().Bind(configuration.GetSection(BatchDefaultsOptions.SectionName))
            .Validate(o => o.TimeoutHours is >= 1 and <= 168, "Batch:TimeoutHours must be from 1 to 168.")
            .Validate(o => ApiEndpoint.Known.Contains(ApiEndpoint.FromValue(o.Endpoint)), "Batch:Endpoint must be a known Mistral endpoint.")
            .Validate(o => o.MaxRequestsPerPart >= 1 && o.MaxBytesPerPart > o.MaxLineBytes + 2L, "Batch:MaxRequestsPerPart must be positive and Batch:MaxBytesPerPart larger than Batch:MaxLineBytes.")
            .ValidateOnStart();

        services.AddOptions<NotificationOptions>().Bind(configuration.GetSection(NotificationOptions.SectionName))
            .Validate(o => o.WebhookUrl is null || (o.WebhookUrl.IsAbsoluteUri && o.WebhookUrl.Scheme is "https" or "http"), "Notifications:WebhookUrl must be an absolute http(s) URL.")
            .Validate(o => o.WebhookAttempts is >= 1 and <= 20, "Notifications:WebhookAttempts must be from 1 to 20.")
            .Validate(o => o.WebhookSecret is null || o.WebhookKey() is not null, "Notifications:WebhookSecret must be whsec_ followed by 24 to 64 random bytes in base64 (Standard Webhooks), e.g. from: echo whsec_$(openssl rand -base64 32).")
            .Validate(o => o.WebhookSecret is null || o.WebhookUrl is not null, "Notifications:WebhookSecret is set but Notifications:WebhookUrl is not: there is nothing to sign.")
            .Validate(o => o.EventGridTopicEndpoint is null || (o.EventGridTopicEndpoint.IsAbsoluteUri && (o.EventGridTopicEndpoint.Scheme == "https" || (o.EventGridTopicKey is not null && o.EventGridTopicEndpoint.Scheme == "http"))), "Notifications:EventGridTopicEndpoint must be an absolute https URL (http only with Notifications:EventGridTopicKey, for a local listener).")
            .ValidateOnStart();
        services.AddSingleton<CompletionEventPublisher>();
        services.AddOptions<PricingOptions>().Bind(configuration.GetSection(PricingOptions.SectionName))
            .Validate(o => o.BatchFactor is > 0 and <= 1, "Pricing:BatchFactor must be above 0 and at most 1 (Mistral documents 0.5).")
            .Validate(o => o.BytesPerToken is > 0 and < 100 && o.EstimateError is >= 0 and < 1 && o.TokensPerMessage >= 0, "Pricing:BytesPerToken must be positive, Pricing:EstimateError from 0 to below 1 and Pricing:TokensPerMessage not negative.")
            .Validate(o => o.Models.Values.All(m => m.InputPerMillion >= 0 && m.OutputPerMillion >= 0 && m.MaxOutputTokens >= 0), "Pricing:Models:*: prices and MaxOutputTokens must not be negative.")
            .ValidateOnStart();
        services.AddHttpClient<CompletionNotifier>()
            // The webhook URL may carry a secret in its query: no request logging by the factory.
            .RemoveAllLoggers()
            .AddResilienceHandler("webhook", (pipeline, context) =>
            {
                var attempts = context.ServiceProvider.GetRequiredService<IOptions<NotificationOptions>>().Value.WebhookAttempts;
                // Real time whatever clock the workflow is given, as for the Mistral pipeline.
                pipeline.TimeProvider = TimeProvider.System;
                pipeline.AddRetry(new Microsoft.Extensions.Http.Resilience.HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = Math.Max(1, attempts - 1),
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromSeconds(1),
                    ShouldRetryAfterHeader = true,
                });
                pipeline.AddTimeout(TimeSpan.FromSeconds(30));
            });

        // Transient: it holds the typed MistralClient, whose HttpClient the factory rotates.
        services.AddTransient<BatchActivities>();
        services.AddTransient<ValidateInputActivity>();
        services.AddTransient<RejectInputActivity>();
        services.AddTransient<StagePartsActivity>();
        services.AddTransient<UploadPartActivity>();
        services.AddTransient<CreateJobActivity>();
        services.AddTransient<PollJobsActivity>();
        services.AddTransient<CancelJobsActivity>();
        services.AddTransient<CollectPartActivity>();
        services.AddTransient<FinalizeActivity>();
        services.AddTransient<BatchFiles>();
        services.AddTransient<BatchCompletion>();
        services.AddSingleton<MergeGate>();
        services.AddTransient<WorkspaceCapacity>();
        services.AddTransient<StartClaims>();
        services.AddTransient<BatchSubmitter>();
        services.AddTransient<IdempotencyStore>();
        services.AddTransient<StartRequestReader>();
        services.AddTransient<BatchRetrier>();
        services.AddTransient<BatchApi>();
        services.AddTransient<StartMessageHandler>();
        services.AddTransient<RetryCombiner>();
        return services;
    }

    private static void AddStorage(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<BatchStorageOptions>()
            .Bind(configuration.GetSection(BatchStorageOptions.SectionName))
            .PostConfigure(options =>
            {
                if (options.ConnectionString is null && options.BlobServiceUri is null && configuration["AzureWebJobsStorage"] is { Length: > 0 } functionsStorage)
                {
                    options.ConnectionString = functionsStorage;
                }
            })
            .Validate(o => o.ConnectionString is not null || o.BlobServiceUri is not null, "Storage:ConnectionString or Storage:BlobServiceUri is required.")
            .Validate(o => o.InputContainers.Concat(o.OwnedContainers).All(BlobNames.IsContainerName), "Storage:*Container and Storage:AllowedInputContainers must be valid container names (3 to 63 lower-case letters, digits and single hyphens).")
            .Validate(o => !o.InputContainers.Intersect(o.OwnedContainers, StringComparer.Ordinal).Any(), "Storage:InputContainer and Storage:AllowedInputContainers may not name the output, errors, archive or staging container.")
            .ValidateOnStart();

        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<BatchStorageOptions>>().Value;
            return options.ConnectionString is { } connection
                ? new BlobServiceClient(connection)
                : new BlobServiceClient(options.BlobServiceUri, Credential(options));
        });
        services.TryAddSingleton(provider =>
        {
            var options = provider.GetRequiredService<IOptions<BatchStorageOptions>>().Value;
            return options.ConnectionString is { } connection
                ? new QueueServiceClient(connection)
                : new QueueServiceClient(options.QueueServiceUri ?? new Uri(options.BlobServiceUri!.AbsoluteUri.Replace(".blob.", ".queue.", StringComparison.Ordinal)), Credential(options));
        });
        services.TryAddSingleton(provider => new BatchStorage(
            provider.GetRequiredService<BlobServiceClient>(),
            provider.GetRequiredService<QueueServiceClient>(),
            provider.GetRequiredService<IOptions<BatchStorageOptions>>().Value));
    }

    private static DefaultAzureCredential Credential(BatchStorageOptions options) =>
        new(new DefaultAzureCredentialOptions { ManagedIdentityClientId = options.ManagedIdentityClientId });
}
