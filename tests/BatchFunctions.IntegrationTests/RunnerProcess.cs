using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using BatchFunctions.Core.Api;

namespace BatchFunctions.IntegrationTests;

/// <summary>
/// <c>batchfn serve</c> as a process of its own on a free loopback port, with its settings as environment
/// variables: killed with SIGKILL when a test says so, always on dispose. Its output is kept for failure messages.
/// </summary>
public sealed partial class RunnerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output;
    private readonly HttpClient _http;

    private RunnerProcess(Process process, ConcurrentQueue<string> output, Uri address, string? apiKey)
    {
        _process = process;
        _output = output;
        Address = address;
        _http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(60) };
        Client = new BatchApiClient(_http, apiKey);
    }

    public Uri Address { get; }

    public BatchApiClient Client { get; }

    public HttpClient Http => _http;

    public string Output => string.Join(Environment.NewLine, _output);

    /// <summary>Starts a runner and waits until it listens.</summary>
    public static async Task<RunnerProcess> StartAsync(IReadOnlyDictionary<string, string?> settings, params string[] arguments)
    {
        var (process, output) = Launch(settings, ["serve", "--urls", "http://127.0.0.1:0", .. arguments]);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            while (true)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException($"batchfn serve exited before listening:{Environment.NewLine}{string.Join(Environment.NewLine, output)}{Environment.NewLine}{await process.StandardError.ReadToEndAsync(timeout.Token)}");
                output.Enqueue(line);
                if (ListeningLine().Match(line) is { Success: true } match)
                {
                    Drain(process.StandardOutput, output);
                    Drain(process.StandardError, output);
                    return new RunnerProcess(process, output, new Uri(match.Groups["address"].Value.TrimEnd('/') + "/"), settings.GetValueOrDefault("Runner:ApiKey"));
                }
            }
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }
    }

    /// <summary>Runs a <c>batchfn</c> command to its end; returns its exit code and output (stdout, then stderr).</summary>
    public static async Task<(int ExitCode, string Output)> RunToExitAsync(IReadOnlyDictionary<string, string?> settings, params string[] arguments)
    {
        var (process, _) = Launch(settings, arguments);
        using (process)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            try
            {
                await process.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                // A command that should have ended is not left running after its test.
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"batchfn {string.Join(' ', arguments)} did not exit within 60 s.");
            }

            return (process.ExitCode, await stdout + await stderr);
        }
    }

    /// <summary>SIGTERM, as a service manager stops a service; returns the exit code once it has stopped.</summary>
    public async Task<int> TerminateAsync()
    {
        using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync();
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no shutdown code runs, as when a machine dies.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process.Dispose();
        _http.Dispose();
    }

    private static (Process Process, ConcurrentQueue<string> Output) Launch(IReadOnlyDictionary<string, string?> settings, string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(BatchFnPath());
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // Only what the test gives: no key or storage of the machine running the tests leaks in.
        foreach (var name in new[] { "MISTRAL_API_KEY", "MISTRAL_BASE_URL", "BATCHFN_STORAGE", "BATCHFN_URL", "BATCHFN_KEY", "AzureWebJobsStorage" })
        {
            start.Environment.Remove(name);
        }

        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("batchfn did not start.");
        return (process, new ConcurrentQueue<string>());
    }

    private static void Drain(StreamReader reader, ConcurrentQueue<string> output) =>
        _ = Task.Run(async () =>
        {
            while (await reader.ReadLineAsync() is { } line)
            {
                output.Enqueue(line);
            }
        });

    internal static string BatchFnPath()
    {
        // The tests run from tests/X/bin/{Configuration}/{framework}/: batchfn is built alongside (see the csproj).
        var framework = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = framework.Parent!.Name;
        var path = Path.Combine(RepositoryRoot.Find(), "src", "BatchFunctions.Cli", "bin", configuration, framework.Name, "batchfn.dll");
        return File.Exists(path) ? path : throw new InvalidOperationException($"batchfn is not built at {path}: build the solution first (./test.sh does).");
    }

    [GeneratedRegex(@"listening on (?<address>http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();
}
