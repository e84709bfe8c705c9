using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Settings;
using BatchFunctions.Core.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Capacity;

/// <summary>
/// Grants a part capacity in the workspace's pending-request limit (<see cref="MistralClientOptions.MaxPendingRequests"/>)
/// before its job is created. What counts is what Mistral itself lists as pending in the whole workspace (anyone's
/// jobs) plus what was granted here and is not listed yet; the grants and the queue live in one blob per workspace
/// in the staging container, which every runner and Function App instance on the account shares, changed only by
/// conditional writes.
/// </summary>
public sealed partial class WorkspaceCapacity(MistralClient mistral, BatchStorage storage, IOptions<MistralClientOptions> options, TimeProvider timeProvider, ILogger<WorkspaceCapacity> logger)
{
    private static readonly BatchJobListQuery PendingJobs = new()
    {
        Statuses = [BatchJobStatus.Queued, BatchJobStatus.Running, BatchJobStatus.CancellationRequested],
    };

    // Every waiting part rewrites the one blob; a host that loses the race reads it again (Mistral is listed once).
    private const int MaxConflicts = 64;

    /// <summary>How long a waiting part waits before it asks again.</summary>
    public TimeSpan Recheck => options.Value.CapacityRecheck;

    /// <summary>
    /// Grants <paramref name="request"/> capacity now, or queues it and says how far it is from it; with no limit set,
    /// grants it without a call. Asking again is safe.
    /// </summary>
    public async Task<CapacityAdmission> AdmitAsync(CapacityRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        var limit = options.Value.MaxPendingRequests;
        if (limit <= 0)
        {
            return new CapacityAdmission(true, 0, 0, 0, 0);
        }

        var blob = Ledger();
        WorkspacePending? pending = null;
        for (var conflicts = 0; ; conflicts++)
        {
            // The ledger before the listing: a job created after this read is counted by its grant, never
            // taken for ended by a listing made before it existed (CapacityRules.ListingMargin).
            var (ledger, etag) = await ReadAsync(blob, cancellationToken);
            pending ??= await ListPendingAsync(cancellationToken);
            var (next, admission) = CapacityRules.Admit(ledger, pending, request, limit, timeProvider.GetUtcNow(), WaiterLifetime);
            if (!await TryWriteAsync(blob, next, etag, conflicts, cancellationToken))
            {
                continue;
            }

            if (admission.Granted)
            {
                Granted(logger, request.Instance, request.Part, request.Requests, admission.Used, limit);
            }

            return admission;
        }
    }

    /// <summary>
    /// Notes that the part's job was created, so that a listing made a little later that does not show it (the job
    /// ended at once) frees its grant instead of counting it until its lifetime ends.
    /// </summary>
    public async Task CreatedAsync(string instanceId, int part, CancellationToken cancellationToken)
    {
        if (options.Value.MaxPendingRequests <= 0)
        {
            return;
        }

        var blob = Ledger();
        for (var conflicts = 0; ; conflicts++)
        {
            var (ledger, etag) = await ReadAsync(blob, cancellationToken);
            if (etag is null || !ledger.Grants.Any(g => g.Instance == instanceId && g.Part == part && g.CreatedAt is null))
            {
                return;
            }

            if (await TryWriteAsync(blob, CapacityRules.Created(ledger, instanceId, part, timeProvider.GetUtcNow()), etag, conflicts, cancellationToken))
            {
                return;
            }
        }
    }

    private BlobClient Ledger() => storage.Staging.GetBlobClient(BlobLayout.Capacity(WorkspaceKey(options.Value)));

    /// <summary>Writes <paramref name="ledger"/> if the blob is still at <paramref name="etag"/> (absent when null); false when another host wrote first.</summary>
    private static async Task<bool> TryWriteAsync(BlobClient blob, CapacityLedger ledger, ETag? etag, int conflicts, CancellationToken cancellationToken)
    {
        try
        {
            var conditions = etag is { } match ? new BlobRequestConditions { IfMatch = match } : new BlobRequestConditions { IfNoneMatch = ETag.All };
            await blob.UploadAsync(BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(ledger, BatchJsonContext.Default.CapacityLedger)), new BlobUploadOptions { Conditions = conditions }, cancellationToken);
            return true;
        }
        catch (RequestFailedException exception) when (exception.Status is 409 or 412 && conflicts < MaxConflicts)
        {
            return false;
        }
    }

    // Waiters ask again every Recheck: one that missed a few belongs to a batch that stopped, and must not hold the queue.
    private TimeSpan WaiterLifetime => options.Value.CapacityRecheck * 4 + TimeSpan.FromMinutes(1);

    /// <summary>The ledger's blob name part for a Mistral: one per address and key, never the key itself.</summary>
    internal static string WorkspaceKey(MistralClientOptions options)
    {
        var binding = MistralBinding.Of(options);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(binding.Address + "\n" + binding.KeyFingerprint)))[..16];
    }

    private async Task<WorkspacePending> ListPendingAsync(CancellationToken cancellationToken)
    {
        var listedAt = timeProvider.GetUtcNow();
        var requests = 0L;
        var counted = new HashSet<(string, int)>();
        var uncounted = new HashSet<(string, int)>();
        await foreach (var job in mistral.GetAllBatchJobsAsync(PendingJobs, cancellationToken))
        {
            // The list is filtered by status; a server that ignored the filter must not make ended jobs count. A queued
            // job reports no total yet: another team's counts for nothing here (an open question: docs/mistral-api.md).
            if (!job.Status.IsTerminal)
            {
                requests += Math.Max(0, job.TotalRequests - job.CompletedRequests);
                if (job.Metadata is { } metadata
                    && metadata.TryGetValue(BatchSettingsResolver.InstanceKey, out var instance)
                    && metadata.TryGetValue(BatchSettingsResolver.PartKey, out var partText)
                    && int.TryParse(partText, NumberStyles.None, CultureInfo.InvariantCulture, out var part))
                {
                    (job.TotalRequests > 0 ? counted : uncounted).Add((instance, part));
                }
            }
        }

        return new WorkspacePending(requests, counted, listedAt, uncounted);
    }

    // A missing ledger is an empty one; a damaged one is started afresh: what Mistral lists still counts, and
    // waiters ask again.
    private static async Task<(CapacityLedger Ledger, ETag? ETag)> ReadAsync(BlobClient blob, CancellationToken cancellationToken) =>
        await BlobJson.ReadVersionedAsync(blob, BatchJsonContext.Default.CapacityLedger, cancellationToken) is var (ledger, etag)
            ? (ledger ?? CapacityLedger.Empty, etag)
            : (CapacityLedger.Empty, null);

    [LoggerMessage(Level = LogLevel.Information, Message = "Workspace capacity granted to part {Part} of {InstanceId}: {Requests} requests, {Used} of {Limit} pending")]
    private static partial void Granted(ILogger logger, string instanceId, int part, long requests, long used, long limit);
}
