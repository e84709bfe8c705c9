using System.Text.Json;
using Azure;
using Azure.Storage.Blobs.Models;
using BatchFunctions.Core.Storage;
using BatchFunctions.Core.Workflow;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace BatchFunctions.Runner;

/// <summary>
/// <c>/api/events</c>: an Event Grid subscription's endpoint, in the Event Grid schema or CloudEvents 1.0 (a
/// single event or a batch). Answers both validation handshakes; starts a batch for each BlobCreated of a
/// <c>*.jsonl</c> block blob in this runner's input container and account; ignores every other event.
/// Deliveries are at least once: the same blob version always maps to the same batch.
/// </summary>
internal static class EventGridWebhook
{
    private const string BlobCreated = "Microsoft.Storage.BlobCreated";
    private const string SubscriptionValidation = "Microsoft.EventGrid.SubscriptionValidationEvent";
    private const string SubjectPrefix = "/blobServices/default/containers/";
    private const long MaxDeliveryBytes = 1024 * 1024;

    /// <summary>The CloudEvents webhook validation (abuse protection): an OPTIONS request naming the sender's origin.</summary>
    public static IResult Handshake(HttpContext context, ILoggerFactory loggers)
    {
        var origin = context.Request.Headers["WebHook-Request-Origin"].ToString();
        if (origin.Length == 0)
        {
            return RunnerApi.Problem(StatusCodes.Status400BadRequest, "Not a webhook validation", "An OPTIONS request to /api/events must carry WebHook-Request-Origin (CloudEvents 1.0 webhook validation).");
        }

        context.Response.Headers["WebHook-Allowed-Origin"] = origin;
        context.Response.Headers["WebHook-Allowed-Rate"] = "*";
        RunnerLog.SubscriptionValidated(loggers.CreateLogger(typeof(EventGridWebhook)));
        return Results.Ok();
    }

    /// <summary>Receives one delivery.</summary>
    public static async Task<IResult> ReceiveAsync(HttpContext context, BatchStorage storage, BatchRunner runner, BatchScheduler scheduler, ILoggerFactory loggers)
    {
        var logger = loggers.CreateLogger(typeof(EventGridWebhook));
        if (context.Request.ContentLength > MaxDeliveryBytes)
        {
            return TooLarge();
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxDeliveryBytes;
        }

        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        }
        catch (JsonException exception)
        {
            return RunnerApi.Problem(StatusCodes.Status400BadRequest, "Invalid JSON", $"An Event Grid delivery must be JSON; it breaks at line {exception.LineNumber + 1}.");
        }
        catch (Exception exception) when (RunnerApi.IsTooLarge(exception))
        {
            return TooLarge();
        }

        using (document)
        {
            var events = document.RootElement.ValueKind == JsonValueKind.Array ? document.RootElement.EnumerateArray().ToList() : [document.RootElement];
            var started = new List<string>();
            var existing = new List<string>();
            var ignored = 0;
            foreach (var item in events)
            {
                string type;
                BatchSource? source;
                string why;
                var id = "(no id)";
                try
                {
                    type = Text(item, "eventType") ?? Text(item, "type") ?? string.Empty;
                    id = Text(item, "id") ?? id;
                    if (type == SubscriptionValidation && item.TryGetProperty("data", out var validation) && Text(validation, "validationCode") is { } code)
                    {
                        RunnerLog.SubscriptionValidated(logger);
                        return Results.Json(new ValidationResponse(code), RunnerJsonContext.Default.ValidationResponse);
                    }

                    (source, why) = await SourceOfAsync(item, type, storage, context.RequestAborted);
                }
                catch (UnreadableTextException exception)
                {
                    // One sender's bad event is refused alone: failing the delivery would make Event Grid send
                    // the good events with it again until it dead-letters them all.
                    (type, source, why) = (string.Empty, null, exception.Message);
                }

                if (source is null)
                {
                    RunnerLog.EventIgnored(logger, id, type, why);
                    ignored++;
                    continue;
                }

                var result = await runner.StartAsync(source, context.RequestAborted);
                (result.Created ? started : existing).Add(BatchInstanceId.From(source));
            }

            if (started.Count > 0)
            {
                scheduler.Wake();
            }

            return Results.Json(new EventsResponse(started, existing, ignored), RunnerJsonContext.Default.EventsResponse);
        }
    }

    private static async Task<(BatchSource? Source, string Why)> SourceOfAsync(JsonElement item, string type, BatchStorage storage, CancellationToken cancellationToken)
    {
        const string NotOurs = "not a BlobCreated of a *.jsonl block blob in this runner's input container";
        if (type != BlobCreated || Text(item, "subject") is not { } subject || !subject.StartsWith(SubjectPrefix, StringComparison.Ordinal))
        {
            return (null, NotOurs);
        }

        // The Event Grid schema names the account in 'topic', CloudEvents in 'source'.
        var topic = Text(item, "topic") ?? Text(item, "source");
        if (topic is not null && !topic.EndsWith("/storageAccounts/" + storage.AccountName, StringComparison.OrdinalIgnoreCase))
        {
            return (null, NotOurs);
        }

        var path = subject[SubjectPrefix.Length..];
        var separator = path.IndexOf("/blobs/", StringComparison.Ordinal);
        if (separator < 1)
        {
            return (null, NotOurs);
        }

        var container = path[..separator];
        var name = path[(separator + "/blobs/".Length)..];
        if (container != storage.Options.InputContainer || !name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            return (null, NotOurs);
        }

        // The subject is the sender's word: a name that would leave the input container is never looked up.
        if (BlobNames.CheckInputName(name, "The subject's blob name") is { } problem)
        {
            return (null, problem);
        }

        try
        {
            // The blob as it is now: if it was overwritten since, this is the newer version's batch, which
            // its own event would start anyway.
            var properties = (await storage.Input.GetBlobClient(name).GetPropertiesAsync(cancellationToken: cancellationToken)).Value;
            return properties.BlobType == BlobType.Block ? (new BatchSource(storage.AccountName, container, name, properties.ETag.ToString()), string.Empty) : (null, NotOurs);
        }
        catch (RequestFailedException exception) when (exception.Status == 404)
        {
            // Gone already (processed and archived, or deleted): nothing to start.
            return (null, "the blob no longer exists");
        }
    }

    private static IResult TooLarge() =>
        RunnerApi.Problem(StatusCodes.Status413PayloadTooLarge, "Delivery too large", "An Event Grid delivery may have at most 1 MiB (Event Grid's own limit).");

    /// <summary>A string property of an event, or null; a string that is not text (invalid UTF-8, a lone surrogate) throws <see cref="UnreadableTextException"/>.</summary>
    private static string? Text(JsonElement element, string property)
    {
        if (element.ValueKind != JsonValueKind.Object || !element.TryGetProperty(property, out var value) || value.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            throw new UnreadableTextException($"its '{property}' is not valid text (invalid UTF-8 or a lone surrogate)");
        }
    }

    private sealed class UnreadableTextException(string message) : Exception(message);
}
