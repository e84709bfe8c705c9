using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Runner;

/// <summary>Builds the runner as a web application: the HTTP API, the scheduler, the input watcher and the queue listener.</summary>
public static class RunnerHost
{
    /// <summary>
    /// Creates the runner from <paramref name="configuration"/> (the <c>Runner</c>, <c>Storage</c>, <c>Mistral</c>,
    /// <c>Workflow</c>, <c>Batch</c> and <c>Notifications</c> sections); <paramref name="configureServices"/> may
    /// replace services (a clock, say).
    /// </summary>
    public static WebApplication Build(IConfiguration configuration, Action<IServiceCollection>? configureServices = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Configuration.AddConfiguration(configuration);
        var urls = builder.Configuration[$"{RunnerOptions.SectionName}:{nameof(RunnerOptions.Urls)}"] ?? new RunnerOptions().Urls;
        builder.WebHost.UseUrls(urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        builder.Services.AddBatchFunctionsRunner(builder.Configuration);
        configureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            // A bug or an unreachable store: a problem document without the exception, which is logged instead.
            ExceptionHandler = context => RunnerApi.Problem(StatusCodes.Status500InternalServerError, "Internal error", "The runner failed to answer; its log has the details.").ExecuteAsync(context),
        });
        app.Use(RunnerApi.RefuseUnreadableBodiesAsync);
        app.UseMiddleware<ApiKeyMiddleware>();
        app.MapBatchFunctionsApi();
        return app;
    }

    /// <summary>
    /// The addresses a started runner listens on beyond loopback while it has no key: what Kestrel actually
    /// bound, wherever the address came from (<c>Runner:Urls</c>, <c>--urls</c>, <c>Kestrel:Endpoints</c>,
    /// <c>ASPNETCORE_URLS</c>). Empty when the runner is safe to serve.
    /// </summary>
    public static IReadOnlyList<string> UnprotectedAddresses(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        if (app.Services.GetRequiredService<IOptions<RunnerOptions>>().Value.ApiKey is { Length: > 0 })
        {
            return [];
        }

        var addresses = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return [.. addresses.Where(a => !RunnerOptionsValidator.IsLoopback(a))];
    }
}
