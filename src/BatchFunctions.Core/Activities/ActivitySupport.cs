using System.Globalization;
using System.Text.Json;
using Azure.Storage.Blobs.Specialized;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Settings;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Activities;

/// <summary>One activity of the workflow: idempotent, expected failures returned as data.</summary>
/// <typeparam name="TCall">The call it runs.</typeparam>
public interface IBatchActivity<in TCall>
    where TCall : ActivityCall
{
    /// <summary>Runs <paramref name="activity"/>.</summary>
    Task<ActivityResult> RunAsync(TCall activity, CancellationToken cancellationToken);
}

/// <summary>
/// One merge at a time in a process: its sort buffers and index are the largest memory a batch takes, and
/// parallel collects would hold one set each. A singleton of the host's services.
/// </summary>
public sealed class MergeGate : IDisposable
{
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Waits for the gate; disposing the answer lets the next merge in.</summary>
    public async Task<IDisposable> EnterAsync(CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        return new Exit(_gate);
    }

    /// <inheritdoc/>
    public void Dispose() => _gate.Dispose();

    private sealed class Exit(SemaphoreSlim gate) : IDisposable
    {
        public void Dispose() => gate.Release();
    }
}

/// <summary>Announces a batch's end: the <c>batch-completed</c> queue, then the webhook and the Event Grid topic when configured.</summary>
public sealed class BatchCompletion(BatchStorage storage, CompletionNotifier notifier)
{
    /// <summary>Sends <paramref name="message"/> everywhere it goes.</summary>
    public async Task AnnounceAsync(CompletionMessage message, CancellationToken cancellationToken)
    {
        await storage.Completed.SendMessageAsync(JsonSerializer.Serialize(message, BatchJsonContext.Readable.CompletionMessage), cancellationToken);
        await notifier.NotifyAsync(message, cancellationToken);
    }
}

/// <summary>What the activities that split inputs and merge results share.</summary>
internal static class Merging
{
    // The longest result line a merge reads (completions can be long); a longer one is reported as failed.
    public const int MaxResultLineBytes = 64 * 1024 * 1024;

    // A merge's output goes to staging in blocks of 2 MiB, three on their way at once: one at a time, each waited on
    // its round trip, and writing a 50 MB part took 1.7 to 2.4 s on Azurite (1.05 to 1.3 s this way). At most 8 MiB a writer.
    private const int MergeBlockBytes = 2 * 1024 * 1024;
    private const int MergeBlocksInFlight = 3;

    /// <summary>A merge's output writer: committed only once the merge is whole.</summary>
    public static BlockBlobWriter Writer(BlockBlobClient blob) => new(blob, MergeBlockBytes, MergeBlocksInFlight);

    /// <summary>
    /// How the input is cut into parts, from the batch defaults: never larger than the workspace's pending limit,
    /// so that no part waits for capacity it can never be granted.
    /// </summary>
    public static JsonlSplitOptions SplitOptions(BatchDefaultsOptions defaults, MistralClientOptions mistral) =>
        new() { MaxRequestsPerPart = mistral.MaxPendingRequests > 0 ? (int)Math.Min(defaults.MaxRequestsPerPart, mistral.MaxPendingRequests) : defaults.MaxRequestsPerPart, MaxBytesPerPart = defaults.MaxBytesPerPart, MaxLineBytes = defaults.MaxLineBytes };
}

/// <summary>How the activities look for a batch's own jobs in Mistral's job list.</summary>
internal static class BatchJobLists
{
    /// <summary>
    /// The list narrowed to jobs tagged <paramref name="tags"/> that this key made since the batch started. The
    /// narrowing is only a hint (how Mistral applies a metadata query is undocumented): callers still check what
    /// they take.
    /// </summary>
    public static BatchJobListQuery Narrowed(IReadOnlyDictionary<string, string> tags, DateTimeOffset? batchStartedAt) => new()
    {
        Metadata = tags,
        CreatedByMe = true,

        // A day's margin: the batch's start is on this host's clock, the jobs' on Mistral's.
        CreatedAfter = batchStartedAt?.AddDays(-1),
    };
}

/// <summary>What the workflow keeps of a Mistral job.</summary>
internal static class JobSnapshots
{
    /// <summary>The snapshot of <paramref name="job"/>.</summary>
    public static JobSnapshot Of(BatchJob job) => new(
        job.Id,
        job.Status.Value,
        job.TotalRequests,
        job.CompletedRequests,
        job.SucceededRequests,
        job.FailedRequests,
        job.OutputFile,
        job.ErrorFile,
        [.. job.Errors.Select(e => e.Count > 1 ? string.Create(CultureInfo.InvariantCulture, $"{e.Message} (x{e.Count})") : e.Message)],
        job.StartedAt);
}
