using System.Diagnostics;
using System.Text.Json;
using BatchFunctions.Tests.Contract;

namespace BatchFunctions.MistralEmulator.Tests;

/// <summary>
/// The emulator driven by the official Mistral TypeScript SDK (npm <c>@mistralai/mistralai</c>, pinned in the
/// repository's package.json and installed by ./test.sh): what the SDK sends must be accepted, and what the
/// emulator answers must parse with the SDK's own response types. The script is tests/sdk-conformance.
/// </summary>
public sealed class MistralSdkConformanceTests
{
    private const string Key = "sdk-conformance-key";

    private static readonly string[] ExpectedChecks =
    [
        "batch /v1/chat/completions", "batch /v1/embeddings", "batch /v1/fim/completions", "batch /v1/moderations",
        "batch /v1/chat/moderations", "batch /v1/ocr", "batch /v1/classifications", "batch /v1/chat/classifications",
        "batch /v1/conversations", "batch /v1/audio/transcriptions", "files.list", "files.retrieve", "files.getSignedUrl",
        "batch.jobs.create inline", "batch.jobs.list", "batch.jobs.cancel", "batch.jobs.delete", "files.delete", "errors",
    ];

    [Fact]
    public async Task OfficialTypeScriptSdk_EveryFilesAndBatchCall_IsAcceptedAndParsed()
    {
        var root = RepositoryRoot.Find();
        var sdk = Path.Combine(root, "node_modules", "@mistralai", "mistralai", "package.json");
        Assert.True(File.Exists(sdk), $"The pinned Mistral SDK is not installed ({sdk}): run ./test.sh or npm ci first.");
        await using var server = await MistralEmulatorServer.StartAsync(options =>
        {
            options.ApiKey = Key;
            options.QueueDelay = TimeSpan.Zero;
            options.RequestsPerSecond = 0;
            options.CancellationDelay = TimeSpan.Zero;
        });

        var (exitCode, stdout, stderr) = await RunNodeAsync(root, server.BaseAddress);

        Assert.True(exitCode is 0 or 1, $"node exited {exitCode}: {stderr}");
        using var report = JsonDocument.Parse(stdout);
        var failures = report.RootElement.GetProperty("failures").EnumerateArray()
            .Select(f => $"{f.GetProperty("check").GetString()}: {f.GetProperty("error").GetString()}")
            .ToList();
        Assert.True(failures.Count == 0, string.Join("\n", failures));
        Assert.Equal(ExpectedChecks, report.RootElement.GetProperty("checks").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(0, exitCode);
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunNodeAsync(string root, Uri server)
    {
        var start = new ProcessStartInfo("node", Path.Combine(root, "tests", "sdk-conformance", "mistral-sdk.mjs"))
        {
            WorkingDirectory = root,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.Environment["MISTRAL_SERVER_URL"] = server.ToString().TrimEnd('/');
        start.Environment["MISTRAL_API_KEY"] = Key;
        using var process = Process.Start(start) ?? throw new InvalidOperationException("node could not be started");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException("The SDK conformance script did not end within 2 minutes.");
        }

        return (process.ExitCode, await stdout, await stderr);
    }
}
