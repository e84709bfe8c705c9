using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

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
        app.UseMiddleware<ApiKeyMiddleware>();
        app.MapBatchFunctionsApi();
        return app;
    }
}
