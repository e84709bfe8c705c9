using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace BatchFunctions.Cli.Commands;

/// <summary>Runs a started web application in the foreground until Ctrl-C or SIGTERM, then stops and disposes it.</summary>
internal static class Foreground
{
    public static async Task RunUntilStoppedAsync(WebApplication app, CancellationToken cancellationToken)
    {
        try
        {
            // Ends on Ctrl-C or SIGTERM, whichever of the host and the command line sees it first.
            await app.WaitForShutdownAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await app.StopAsync(CancellationToken.None);
        }

        await app.DisposeAsync();
    }
}
