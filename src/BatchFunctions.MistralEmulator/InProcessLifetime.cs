namespace BatchFunctions.MistralEmulator;

/// <summary>
/// The lifetime of an emulator hosted inside another program: it leaves Ctrl-C and SIGTERM to that program,
/// which stops the emulator itself, instead of shutting the emulator down behind its back.
/// </summary>
internal sealed class InProcessLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
