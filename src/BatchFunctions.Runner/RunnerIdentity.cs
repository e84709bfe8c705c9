using System.Globalization;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Runner;

/// <summary>This process's name as a lease owner: the configured one, or a new one per process.</summary>
public sealed class RunnerIdentity(IOptions<RunnerOptions> options)
{
    /// <summary>The owner name written into leases.</summary>
    public string Id { get; } = options.Value.Id is { Length: > 0 } id
        ? id
        : string.Create(CultureInfo.InvariantCulture, $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid():N}");
}
