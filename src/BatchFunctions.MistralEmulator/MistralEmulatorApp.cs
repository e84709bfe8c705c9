using Microsoft.Extensions.Options;

namespace BatchFunctions.MistralEmulator;

/// <summary>Builds the emulator's web application, for <c>Program</c>, the CLI and in-process tests alike.</summary>
public static class MistralEmulatorApp
{
    /// <summary>The address used when none is given with <c>--urls</c>.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5180";

    /// <summary>Creates the application; <paramref name="timeProvider"/> drives job progress (a fake clock in tests).</summary>
    public static WebApplication Build(string[] args, Action<MistralEmulatorOptions>? configure = null, TimeProvider? timeProvider = null) =>
        Build(args, configure, timeProvider, hostedInProcess: false);

    /// <summary>Creates the application; hosted in-process, it leaves Ctrl-C and SIGTERM to its host program.</summary>
    internal static WebApplication Build(string[] args, Action<MistralEmulatorOptions>? configure, TimeProvider? timeProvider, bool hostedInProcess)
    {
        var builder = WebApplication.CreateSlimBuilder(args);
        if (hostedInProcess)
        {
            builder.Services.AddSingleton<IHostLifetime, InProcessLifetime>();

            // Its host's Kestrel settings (Kestrel__Endpoints__*) are not its own: it listens where its host says.
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Configure(new ConfigurationBuilder().Build()));
        }

        if (string.IsNullOrEmpty(builder.Configuration["urls"]) && string.IsNullOrEmpty(builder.Configuration["ASPNETCORE_URLS"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        // Uploads are limited by MaxFileBytes in the handler, which answers 413 in Mistral's shape.
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Limits.MaxRequestBodySize = null);
        builder.Services.AddOptions<MistralEmulatorOptions>().Bind(builder.Configuration.GetSection(MistralEmulatorOptions.SectionName));
        if (configure is not null)
        {
            builder.Services.Configure(configure);
        }

        builder.Services.AddSingleton(timeProvider ?? TimeProvider.System);
        builder.Services.AddSingleton<EmulatorStore>();
        builder.Services.AddSingleton<JobProcessor>();
        builder.Services.AddSingleton<FaultInjector>();
        builder.Services.AddSingleton<ApiRateLimiter>();
        builder.Services.AddSingleton<CallRecorder>();
        builder.Services.AddSingleton<SignedUrlSigner>();
        builder.Services.AddProblemDetails();

        var app = builder.Build();
        _ = app.Services.GetRequiredService<IOptions<MistralEmulatorOptions>>().Value;
        app.UseMiddleware<ApiGateMiddleware>();
        FilesEndpoints.Map(app);
        BatchJobsEndpoints.Map(app);
        AdminEndpoints.Map(app);
        app.MapFallback(() => EmulatorErrors.RouteNotFound());
        return app;
    }
}
