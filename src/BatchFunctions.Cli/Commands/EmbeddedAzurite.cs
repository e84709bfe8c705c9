using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace BatchFunctions.Cli.Commands;

/// <summary>
/// The repository's pinned Azurite (node_modules/.bin/azurite), started by <c>serve</c> and <c>run</c> when no
/// storage is configured and none answers on its ports: data kept in a folder so that batches survive a restart,
/// stopped (gracefully, then for good) when the command ends.
/// </summary>
internal sealed class EmbeddedAzurite : IAsyncDisposable
{
    /// <summary>Azurite's well-known development account key: public, the same on every machine.</summary>
    public const string DevelopmentKey = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";

    private readonly Process _process;

    private EmbeddedAzurite(Process process) => _process = process;

    /// <summary>The connection string of an Azurite on 127.0.0.1 with its blob, queue and table services on three ports from <paramref name="blobPort"/>.</summary>
    public static string ConnectionString(int blobPort) => blobPort == 10000
        ? "UseDevelopmentStorage=true"
        : string.Create(
            CultureInfo.InvariantCulture,
            $"DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={DevelopmentKey};BlobEndpoint=http://127.0.0.1:{blobPort}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{blobPort + 1}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{blobPort + 2}/devstoreaccount1;");

    /// <summary>Where the pinned Azurite is installed: node_modules above the batchfn binaries or the current folder.</summary>
    public static string? Find()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                var candidate = Path.Combine(directory.FullName, "node_modules", ".bin", OperatingSystem.IsWindows() ? "azurite.cmd" : "azurite");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>Starts Azurite and waits until its blob and queue services listen; null with the reason when it did not.</summary>
    public static async Task<(EmbeddedAzurite? Azurite, string? Problem)> StartAsync(string executable, int blobPort, string dataDirectory, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(dataDirectory);
        var start = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
        {
            "--location", dataDirectory, "--blobHost", "127.0.0.1", "--queueHost", "127.0.0.1", "--tableHost", "127.0.0.1",
            "--blobPort", Port(blobPort), "--queuePort", Port(blobPort + 1), "--tablePort", Port(blobPort + 2),
            "--skipApiVersionCheck", "--disableProductStyleUrl",
        })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Azurite did not start.");
        var output = new ConcurrentQueue<string>();
        var azurite = new EmbeddedAzurite(process);
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var services = 0;
        _ = Task.Run(async () =>
        {
            while (await process.StandardOutput.ReadLineAsync(CancellationToken.None) is { } line)
            {
                output.Enqueue(line);
                if (line.Contains("service is successfully listening", StringComparison.Ordinal) && Interlocked.Increment(ref services) == 3)
                {
                    listening.TrySetResult();
                }
            }

            listening.TrySetResult();
        }, CancellationToken.None);
        _ = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync(CancellationToken.None) is { } line)
            {
                output.Enqueue(line);
            }
        }, CancellationToken.None);

        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
        catch (TimeoutException)
        {
        }
        catch (OperationCanceledException)
        {
            await azurite.DisposeAsync();
            throw;
        }

        if (Volatile.Read(ref services) < 3)
        {
            var said = output.LastOrDefault(l => l.Contains("error", StringComparison.OrdinalIgnoreCase)) ?? output.LastOrDefault() ?? "no output";
            await azurite.DisposeAsync();
            return (null, $"The pinned Azurite ({executable}) did not start on ports {blobPort}-{blobPort + 2}: {said}");
        }

        return (azurite, null);
    }

    /// <summary>Asks Azurite to stop (SIGTERM), and ends it once its data is saved.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                if (!OperatingSystem.IsWindows())
                {
                    using var term = Process.Start("kill", ["-TERM", _process.Id.ToString(CultureInfo.InvariantCulture)]);
                    await term.WaitForExitAsync();
                }

                // Azurite saves its metadata every 5 s and writes blob content at once, yet its own graceful
                // stop takes some 20 s more: past one save interval the data is on disk, so it is ended then.
                using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(6));
                try
                {
                    await _process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                    await _process.WaitForExitAsync(CancellationToken.None);
                }
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
