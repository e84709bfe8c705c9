using System.Security.Cryptography;
using System.Text;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Specialized;

namespace BatchFunctions.Runner;

/// <summary>
/// A runner's ownership of one batch: a Blob Storage lease, renewed in the background while held. When a
/// renewal fails the lease may be someone else's, so <see cref="Lost"/> fires and the step stops.
/// </summary>
public sealed class InstanceLease : IAsyncDisposable
{
    private readonly BlobLeaseClient _lease;
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;

    private InstanceLease(BlobLeaseClient lease, TimeSpan duration)
    {
        _lease = lease;
        _renewal = RenewAsync(duration / 3);
    }

    /// <summary>Fires when the lease could not be renewed.</summary>
    public CancellationToken Lost => _lost.Token;

    /// <summary>Acquires the lease on <paramref name="blob"/> for <paramref name="owner"/>, or null when another owner holds it.</summary>
    public static async Task<InstanceLease?> TryAcquireAsync(BlobClient blob, string owner, TimeSpan duration, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(blob);
        // The lease id follows from the owner and the batch: a runner restarted under the same name takes
        // back the leases it held before it stopped instead of waiting for them to lapse.
        var leaseId = new Guid(SHA256.HashData(Encoding.UTF8.GetBytes(owner + "\n" + blob.Name)).AsSpan(0, 16)).ToString();
        var lease = blob.GetBlobLeaseClient(leaseId);
        try
        {
            await lease.AcquireAsync(duration, cancellationToken: cancellationToken);
            return new InstanceLease(lease, duration);
        }
        catch (RequestFailedException exception) when (exception.Status == 409)
        {
            return null;
        }
    }

    /// <summary>Stops renewing and releases the lease so another runner may step the batch at once.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _renewal;
        try
        {
            await _lease.ReleaseAsync();
        }
        catch (RequestFailedException)
        {
            // Lost already, or storage unreachable: the lease lapses by itself.
        }

        _stop.Dispose();
        _lost.Dispose();
    }

    private async Task RenewAsync(TimeSpan interval)
    {
        // The service counts lease time in real time, so renewals must too, whatever clock the workflow uses.
        using var timer = new PeriodicTimer(interval, TimeProvider.System);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                await _lease.RenewAsync(cancellationToken: _stop.Token);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (RequestFailedException)
        {
            await _lost.CancelAsync();
        }
    }
}
