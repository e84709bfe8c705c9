using Azure;
using Azure.Storage.Blobs.Models;

namespace BatchFunctions.Core.Storage;

/// <summary>
/// Which of several racing starts of one batch may create it, for a host whose engine does not settle that
/// race itself (checking for an instance and then scheduling it is a race that task hubs do not all settle, and
/// two schedules of one id can corrupt its history): the starts race to create one small blob
/// (<see cref="BlobLayout.StartClaim"/>), and only the winner schedules. A claim older than
/// <see cref="ClaimTimeout"/> with no instance behind it was left by a start that died, and is taken over.
/// </summary>
public sealed class StartClaims(BatchStorage storage, TimeProvider timeProvider)
{
    /// <summary>How long a start's claim stands without an instance behind it before another start may take it over.</summary>
    public static readonly TimeSpan ClaimTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Whether this start may create <paramref name="instanceId"/>; <paramref name="instanceExists"/> asks the host's engine.</summary>
    public async Task<bool> TryClaimAsync(string instanceId, Func<CancellationToken, Task<bool>> instanceExists, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(instanceExists);
        var claim = storage.Staging.GetBlobClient(BlobLayout.StartClaim(instanceId));
        try
        {
            await claim.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfNoneMatch = ETag.All } }, cancellationToken);
            return true;
        }
        catch (RequestFailedException exception) when (exception.Status is 409 or 412)
        {
        }

        try
        {
            var held = (await claim.GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            if (timeProvider.GetUtcNow() - held.LastModified < ClaimTimeout || await instanceExists(cancellationToken))
            {
                return false;
            }

            await claim.UploadAsync(BinaryData.Empty, new BlobUploadOptions { Conditions = new BlobRequestConditions { IfMatch = held.ETag } }, cancellationToken);
            return true;
        }
        catch (RequestFailedException exception) when (exception.Status is 404 or 409 or 412)
        {
            // Another start took it over, or it went with a finished batch's working files.
            return false;
        }
    }
}
