using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Settings;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Api;

/// <summary>What a retry was made of, in the start answer: how many lines go again, and how many were left out and why.</summary>
/// <param name="ParentId">The batch retried.</param>
/// <param name="Only">Which lines were asked for: <c>default</c> (failed, missing, cancelled and timed out), <c>failed</c>, <c>missing</c>, <c>cancelled</c> or <c>all</c>.</param>
/// <param name="Retried">Lines in the new batch.</param>
/// <param name="Failed">Of those, lines Mistral answered with a retryable error (408, 429, 5xx, or no status).</param>
/// <param name="Missing">Of those, lines a successful job returned nothing for.</param>
/// <param name="NotProcessed">Of those, lines never processed (cancelled, timed out, job failed).</param>
/// <param name="LeftOutPermanent">Lines left out because their error cannot change on a retry (a 4xx other than 408 and 429).</param>
/// <param name="LeftOutOther">Lines left out because they are not in the asked scope, or have no custom_id to find them by.</param>
/// <param name="Message">The plan in a sentence.</param>
public sealed record RetryPlan(string ParentId, string Only, long Retried, long Failed, long Missing, long NotProcessed, long LeftOutPermanent, long LeftOutOther, string Message);

/// <summary>
/// Makes the retry of a finished batch: a new input holding exactly the lines of the parent that did not
/// succeed (found in its archived input by custom_id, in input order), linked to the parent by its metadata,
/// for either host to start as it starts any input. The parent's outputs are read, never changed.
/// </summary>
public sealed class BatchRetrier(BatchStorage storage, TimeProvider timeProvider, IdempotencyStore idempotency)
{
    private static readonly string[] Scopes = ["default", "failed", "missing", "cancelled", "all"];

    /// <summary>What <c>POST /api/batches/{id}/retry</c> comes to for <paramref name="parent"/> (null when there is no such batch).</summary>
    public async Task<StartDecision> PrepareAsync(string parentId, BatchStatus? parent, string? only, string? model, string? idempotencyKey, CancellationToken cancellationToken = default)
    {
        if (IdempotencyStore.RefuseKey(idempotencyKey) is { } invalidKey)
        {
            return invalidKey;
        }

        var scope = only?.ToLowerInvariant() ?? "default";
        if (!Scopes.Contains(scope, StringComparer.Ordinal))
        {
            return new StartRefused(400, "Invalid retry request", "The query parameter 'only' must be failed, missing, cancelled or all (leave it out for all but the lines that cannot succeed).");
        }

        if (model is not null && StartRequestRules.CheckModel(model, "The query parameter 'model'") is { } modelProblem)
        {
            return new StartRefused(400, "Invalid retry request", modelProblem);
        }

        if (parent is null)
        {
            return new StartRefused(404, "Unknown batch", $"No batch '{parentId}'.");
        }

        if (parent.Phase != BatchPhase.Completed)
        {
            return new StartRefused(409, "Batch still running", $"Batch {parent.Id} is {parent.Phase}; retry it once it is over.");
        }

        if (parent.Outcome == BatchOutcome.Rejected)
        {
            return new StartRefused(409, "Nothing to retry", $"Batch {parent.Id} was rejected: its input never ran. Fix the input and start a new batch.");
        }

        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"retry\n{parent.Id}\n{scope}\n{model}")));
        // The key is held before the retry's input is written, so that twin requests make one retry between them.
        return await idempotency.HoldAsync(
            idempotencyKey,
            (previous, claim) => previous is not null ? Task.FromResult(IdempotencyStore.Replay(previous, hash)) : PrepareHeldAsync(parent, scope, model, hash, claim, cancellationToken),
            cancellationToken);
    }

    private async Task<StartDecision> PrepareHeldAsync(BatchStatus parent, string scope, string? model, string hash, IdempotencyClaim? claim, CancellationToken cancellationToken)
    {
        var summary = await BlobJson.ReadIfExistsAsync(storage.Output.GetBlobClient(BlobLayout.Summary(parent.InputName, parent.Id)), BatchJsonContext.Readable.BatchSummary, cancellationToken);
        if (summary?.Settings is not { } settings)
        {
            return new StartRefused(409, "Nothing to retry", $"Batch {parent.Id} has no summary.json with its settings to retry with.");
        }

        var selection = await SelectAsync(parent, scope, cancellationToken);
        if (selection.Ids.Count == 0)
        {
            return new StartRefused(409, "Nothing to retry", $"Batch {parent.Id} has nothing to retry ({Describe(selection, scope)}).");
        }

        var input = await FindInputAsync(parent, cancellationToken);
        if (input is null)
        {
            return new StartRefused(409, "Input not kept", $"The input of batch {parent.Id} is no longer kept (Storage:ArchiveMode deletes it after a success, or it was removed), so its lines cannot be sent again.");
        }

        var stamp = string.Create(CultureInfo.InvariantCulture, $"{timeProvider.GetUtcNow():yyyyMMddTHHmmss}-{Guid.NewGuid():N}");
        var name = BlobLayout.RetryInput(parent.Id, stamp);
        var blob = storage.Input.GetBlockBlobClient(name);
        var written = await WriteSelectedAsync(input, blob, selection.Ids, Metadata(settings, parent, model), cancellationToken);
        if (written == 0)
        {
            await blob.DeleteIfExistsAsync(cancellationToken: cancellationToken);
            return new StartRefused(409, "Nothing to retry", $"None of the {selection.Ids.Count} lines to retry is in the kept input of batch {parent.Id} any more.");
        }

        var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
        var source = new BatchSource(storage.AccountName, storage.Options.InputContainer, name, properties.Value.ETag.ToString());
        var childId = BatchInstanceId.From(source);

        // The parent lists its retries from these markers (its own record is finished and stays as it is).
        await storage.Output.GetBlobClient(BlobLayout.RetryMarker(parent.InputName, parent.Id, childId)).UploadAsync(BinaryData.FromString(name), overwrite: true, cancellationToken);
        var missingFromInput = selection.Ids.Count - written;
        var message = string.Create(CultureInfo.InvariantCulture, $"Retrying {written} lines of batch {parent.Id} ({Describe(selection, scope)}){(missingFromInput > 0 ? $"; {missingFromInput} were not found in its kept input" : string.Empty)}.");
        var plan = new RetryPlan(parent.Id, scope, written, selection.Failed, selection.Missing, selection.NotProcessed, selection.Permanent, selection.Other, message);
        return new StartSource(source, claim, hash, plan);
    }

    /// <summary>The batches started as retries of <paramref name="parentId"/> (whose input is <paramref name="inputName"/>), oldest first.</summary>
    public async Task<IReadOnlyList<string>> ListRetriesAsync(string inputName, string parentId, CancellationToken cancellationToken = default)
    {
        var retries = new List<(DateTimeOffset Created, string Id)>();
        await foreach (var marker in storage.Output.GetBlobsAsync(BlobTraits.None, BlobStates.None, BlobLayout.RetryMarkers(inputName, parentId), cancellationToken))
        {
            var id = marker.Name[(marker.Name.LastIndexOf('/') + 1)..];
            if (BatchInstanceId.IsWellFormed(id))
            {
                retries.Add((marker.Properties.CreatedOn ?? DateTimeOffset.MinValue, id));
            }
        }

        return [.. retries.OrderBy(r => r.Created).ThenBy(r => r.Id, StringComparer.Ordinal).Select(r => r.Id)];
    }

    private static string Describe(Selection selection, string scope)
    {
        var parts = new List<string>
        {
            string.Create(CultureInfo.InvariantCulture, $"{selection.Failed} failed, {selection.Missing} missing, {selection.NotProcessed} not processed"),
        };
        if (selection.Permanent > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{selection.Permanent} left out whose error cannot change on a retry (a 4xx other than 408 and 429: the request itself is refused; 'only=all' sends them again)"));
        }

        if (selection.Other > 0)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"{selection.Other} left out as outside 'only={scope}' or without a custom_id"));
        }

        return string.Join("; ", parts);
    }

    private static Dictionary<string, string> Metadata(BatchSettings settings, BatchStatus parent, string? model)
    {
        var metadata = BatchSettingsResolver.ToBlobMetadata(model ?? settings.Model, settings.Endpoint, settings.TimeoutHours, settings.Metadata, settings.Priority);
        metadata[BatchSettingsResolver.ParentIdKey] = parent.Id;
        metadata[BatchSettingsResolver.ParentInputKey] = Uri.EscapeDataString(parent.InputName);
        return metadata;
    }

    /// <summary>The custom_ids to send again, from the parent's errors.jsonl, and why each other line stays out.</summary>
    private async Task<Selection> SelectAsync(BatchStatus parent, string scope, CancellationToken cancellationToken)
    {
        var selection = new Selection();
        var stream = await BatchFiles.OpenIfExistsAsync(storage.Errors.GetBlobClient(BlobLayout.Errors(parent.InputName, parent.Id)), cancellationToken);
        if (stream is null)
        {
            return selection;
        }

        await using (stream)
        {
            using var reader = new JsonlLineReader(stream, 64 * 1024 * 1024);
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.IsBlank)
                {
                    continue;
                }

                var (id, kind) = reader.IsTooLong ? (null, ErrorKind.Failed) : Classify(reader.Line);
                var wanted = kind switch
                {
                    ErrorKind.Permanent => scope == "all",
                    ErrorKind.Failed => scope is "default" or "failed" or "all",
                    ErrorKind.Missing => scope is "default" or "missing" or "all",
                    _ => scope is "default" or "cancelled" or "all",
                };
                if (id is null)
                {
                    selection.Other++;
                    continue;
                }

                if (!wanted)
                {
                    _ = kind == ErrorKind.Permanent ? selection.Permanent++ : selection.Other++;
                    continue;
                }

                if (!selection.Ids.AddHash(id.Value))
                {
                    // A second error line for the same request: it goes again once.
                    continue;
                }

                switch (kind)
                {
                    case ErrorKind.Missing:
                        selection.Missing++;
                        break;
                    case ErrorKind.NotProcessed:
                        selection.NotProcessed++;
                        break;
                    default:
                        selection.Failed++;
                        break;
                }
            }
        }

        return selection;
    }

    /// <summary>An errors.jsonl line's custom_id hash and what kind of failure it records.</summary>
    private static (ulong? Id, ErrorKind Kind) Classify(ReadOnlySpan<byte> line)
    {
        try
        {
            using var document = JsonDocument.Parse(line.ToArray());
            var root = document.RootElement;
            ulong? id = root.TryGetProperty("custom_id", out var customId) && customId.ValueKind == JsonValueKind.String && customId.GetString() is { Length: > 0 } text
                ? CustomIdSet.Hash(Encoding.UTF8.GetBytes(text))
                : null;
            var code = root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
            if (code == UnansweredReason.Missing.Code)
            {
                return (id, ErrorKind.Missing);
            }

            if (code == UnansweredReason.Cancelled.Code || code == UnansweredReason.TimedOut.Code || code == UnansweredReason.JobFailed.Code)
            {
                return (id, ErrorKind.NotProcessed);
            }

            var status = root.TryGetProperty("response", out var response) && response.ValueKind == JsonValueKind.Object
                && response.TryGetProperty("status_code", out var s) && s.TryGetInt32(out var value) ? value : (int?)null;
            return (id, status is >= 400 and < 500 and not 408 and not 429 ? ErrorKind.Permanent : ErrorKind.Failed);
        }
        catch (JsonException)
        {
            return (null, ErrorKind.Failed);
        }
    }

    private async Task<BlobClient?> FindInputAsync(BatchStatus parent, CancellationToken cancellationToken)
    {
        var archived = storage.Archive.GetBlobClient(BlobLayout.Archived(parent.InputName, parent.Id));
        if ((await archived.ExistsAsync(cancellationToken)).Value)
        {
            return archived;
        }

        // Storage:ArchiveMode=Keep leaves the input where it was.
        var kept = storage.Blobs.GetBlobContainerClient(parent.InputContainer).GetBlobClient(parent.InputName);
        return storage.Options.InputContainers.Contains(parent.InputContainer, StringComparer.Ordinal) && (await kept.ExistsAsync(cancellationToken)).Value ? kept : null;
    }

    /// <summary>Streams the parent's input, writing each line whose custom_id is selected, in input order; answers how many.</summary>
    private static async Task<long> WriteSelectedAsync(BlobClient input, BlockBlobClient destination, CustomIdSet ids, Dictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var written = 0L;
        await using var source = (await input.DownloadStreamingAsync(cancellationToken: cancellationToken)).Value.Content;
        using var reader = new JsonlLineReader(source, 64 * 1024 * 1024);
        await using (var output = await destination.OpenWriteAsync(overwrite: true, BlockChecksum.LineByLine(metadata), cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                if (reader.IsBlank || reader.IsTooLong || CustomIdOf(reader.Line) is not { } hash || !ids.Contains(hash))
                {
                    continue;
                }

                await output.WriteAsync(reader.LineMemory, cancellationToken);
                output.WriteByte((byte)'\n');
                written++;
            }
        }

        return written;
    }

    /// <summary>The hash of a request line's custom_id, as validation computes it; null when it has none.</summary>
    private static ulong? CustomIdOf(ReadOnlySpan<byte> line)
    {
        try
        {
            var reader = new JsonTokenizer(line[(line.StartsWith("\uFEFF"u8) ? 3 : 0)..]);
            reader.Read();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isId = reader.ValueTextEquals("custom_id"u8);
                reader.Read();
                if (isId && reader.TokenType == JsonTokenType.String)
                {
                    if (!reader.ValueIsEscaped)
                    {
                        return CustomIdSet.Hash(reader.ValueSpan);
                    }

                    var decoded = new byte[reader.ValueSpan.Length];
                    return CustomIdSet.Hash(decoded.AsSpan(0, reader.CopyString(decoded)));
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
        }

        return null;
    }

    private enum ErrorKind
    {
        Failed,
        Permanent,
        Missing,
        NotProcessed,
    }

    private sealed class Selection
    {
        public CustomIdSet Ids { get; } = new();

        public long Failed { get; set; }

        public long Missing { get; set; }

        public long NotProcessed { get; set; }

        public long Permanent { get; set; }

        public long Other { get; set; }
    }
}
