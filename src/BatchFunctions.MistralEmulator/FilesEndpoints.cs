using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;

namespace BatchFunctions.MistralEmulator;

/// <summary>The Files API: upload (streamed to disk), list, get, delete, download and signed URL.</summary>
internal static class FilesEndpoints
{
    private const int MaxFieldChars = 1024;

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapPost("/v1/files", UploadAsync);
        routes.MapGet("/v1/files", List);
        routes.MapGet("/v1/files/{fileId}", Get);
        routes.MapDelete("/v1/files/{fileId}", Delete);
        routes.MapGet("/v1/files/{fileId}/content", Download);
        routes.MapGet("/v1/files/{fileId}/url", SignedUrl);
        routes.MapGet("/_emulator/signed/{fileId}", DownloadSigned);
    }

    private static async Task<IResult> UploadAsync(HttpContext context, EmulatorStore store, IOptions<MistralEmulatorOptions> options, TimeProvider timeProvider)
    {
        var limit = options.Value.MaxFileBytes;
        var request = context.Request;

        // Refuse at once what cannot fit: form overhead is small, so anything much larger is over the limit.
        if (request.ContentLength > limit + (64 * 1024))
        {
            return EmulatorErrors.TooLarge(limit);
        }

        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || !mediaType.MediaType.Equals("multipart/form-data", StringComparison.OrdinalIgnoreCase)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 } boundary)
        {
            return EmulatorErrors.Validation("missing", "Field required", "body", "file");
        }

        var reader = new MultipartReader(boundary, request.Body) { BodyLengthLimit = null };
        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        Upload? upload = null;
        try
        {
            while (await reader.ReadNextSectionAsync(context.RequestAborted) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition))
                {
                    continue;
                }

                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? string.Empty;
                if (name == "file" && upload is null)
                {
                    var fileName = HeaderUtilities.RemoveQuotes(disposition.FileNameStar).Value
                        ?? HeaderUtilities.RemoveQuotes(disposition.FileName).Value
                        ?? "upload";
                    upload = await SaveAsync(section.Body, store.NewPath(".upload"), fileName, limit, context.RequestAborted);
                    if (upload.TooLarge)
                    {
                        EmulatorStore.TryDelete(upload.Path);
                        return EmulatorErrors.TooLarge(limit);
                    }
                }
                else
                {
                    using var text = new StreamReader(section.Body);
                    var buffer = new char[MaxFieldChars];
                    var read = await text.ReadBlockAsync(buffer, context.RequestAborted);
                    fields[name] = new string(buffer, 0, read);
                }
            }
        }
        catch (IOException) when (upload is not null)
        {
            EmulatorStore.TryDelete(upload.Path);
            throw;
        }

        if (upload is null)
        {
            return EmulatorErrors.Validation("missing", "Field required", "body", "file");
        }

        var issues = new List<ValidationIssue>();
        var purpose = fields.GetValueOrDefault("purpose") ?? "fine-tune";
        if (!WireValues.Purposes.Contains(purpose))
        {
            issues.Add(new ValidationIssue("enum", ["body", "purpose"], "Input should be 'fine-tune', 'batch' or 'ocr'", purpose));
        }

        var visibility = fields.GetValueOrDefault("visibility") ?? "workspace";
        if (!WireValues.Visibilities.Contains(visibility))
        {
            issues.Add(new ValidationIssue("enum", ["body", "visibility"], "Input should be 'workspace' or 'user'", visibility));
        }

        int? expiry = null;
        if (fields.TryGetValue("expiry", out var expiryText) && expiryText.Length > 0)
        {
            if (int.TryParse(expiryText, NumberStyles.Integer, CultureInfo.InvariantCulture, out var hours) && hours > 0)
            {
                expiry = hours;
            }
            else
            {
                issues.Add(new ValidationIssue("int_parsing", ["body", "expiry"], "Input should be a valid positive integer", expiryText));
            }
        }

        if (issues.Count > 0)
        {
            EmulatorStore.TryDelete(upload.Path);
            return EmulatorErrors.Validation(issues);
        }

        var now = timeProvider.GetUtcNow();
        var file = new StoredFile
        {
            Id = Guid.NewGuid().ToString(),
            Filename = upload.FileName,
            Purpose = purpose,
            SampleType = purpose == "batch" ? "batch_request" : "instruct",
            Source = "upload",
            Path = upload.Path,
            Bytes = upload.Bytes,
            NumLines = upload.Lines,
            CreatedAt = now,
            Mimetype = upload.FileName.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase) ? "application/jsonl" : "application/octet-stream",
            Signature = upload.Signature,
            ExpiresAt = expiry is { } h ? now.AddHours(h) : null,
            Visibility = visibility,
        };
        store.AddFile(file);
        return Results.Json(file.ToDto(), EmulatorJsonContext.Default.FileDto);
    }

    private static IResult List(HttpContext context, EmulatorStore store)
    {
        var query = new QueryReader(context.Request.Query);
        var page = query.Int("page", 0);
        var pageSize = query.Int("page_size", 100, minimum: 1);
        var includeTotal = query.Bool("include_total") ?? true;
        var sampleTypes = query.Strings("sample_type", WireValues.SampleTypes);
        var sources = query.Strings("source", WireValues.Sources);
        var purposes = query.Strings("purpose", WireValues.Purposes);
        var mimetypes = query.Strings("mimetypes");
        var search = query.String("search");
        if (query.Issues.Count > 0)
        {
            return EmulatorErrors.Validation(query.Issues);
        }

        var matching = store.Files
            .Where(f => sampleTypes.Count == 0 || sampleTypes.Contains(f.SampleType))
            .Where(f => sources.Count == 0 || sources.Contains(f.Source))
            .Where(f => purposes.Count == 0 || purposes.Contains(f.Purpose))
            .Where(f => mimetypes.Count == 0 || (f.Mimetype is not null && mimetypes.Contains(f.Mimetype)))
            .Where(f => search is null || f.Filename.Contains(search, StringComparison.OrdinalIgnoreCase) || f.Id == search)
            .OrderByDescending(f => f.CreatedAt)
            .ThenBy(f => f.Id, StringComparer.Ordinal)
            .ToList();
        var data = matching.Skip(page * pageSize).Take(pageSize).Select(f => f.ToDto()).ToList();
        return Results.Json(new ListDto<FileDto>(data, "list", includeTotal ? matching.Count : null), EmulatorJsonContext.Default.ListDtoFileDto);
    }

    private static IResult Get(string fileId, EmulatorStore store) =>
        WireValues.InvalidUuid(fileId, "file_id")
        ?? (store.FindFile(fileId) is { } file
            ? Results.Json(file.ToDto(withDeleted: true), EmulatorJsonContext.Default.FileDto)
            : EmulatorErrors.NotFound($"File {fileId} not found."));

    private static IResult Delete(string fileId, EmulatorStore store) =>
        WireValues.InvalidUuid(fileId, "file_id")
        ?? (store.RemoveFile(fileId)
            ? Results.Json(new DeletedDto(fileId, "file", true), EmulatorJsonContext.Default.DeletedDto)
            : EmulatorErrors.NotFound($"File {fileId} not found."));

    private static IResult Download(string fileId, EmulatorStore store) =>
        WireValues.InvalidUuid(fileId, "file_id")
        ?? (store.FindFile(fileId) is { } file
            ? Results.File(file.Path, "application/octet-stream", file.Filename)
            : EmulatorErrors.NotFound($"File {fileId} not found."));

    private static IResult SignedUrl(string fileId, HttpContext context, EmulatorStore store, SignedUrlSigner signer, TimeProvider timeProvider)
    {
        if (WireValues.InvalidUuid(fileId, "file_id") is { } invalid)
        {
            return invalid;
        }

        var query = new QueryReader(context.Request.Query);
        var expiry = query.Int("expiry", 24, minimum: 1, maximum: 168);
        if (query.Issues.Count > 0)
        {
            return EmulatorErrors.Validation(query.Issues);
        }

        if (store.FindFile(fileId) is null)
        {
            return EmulatorErrors.NotFound($"File {fileId} not found.");
        }

        var expiresAt = timeProvider.GetUtcNow().AddHours(expiry).ToUnixTimeSeconds();
        var request = context.Request;
        var url = string.Create(CultureInfo.InvariantCulture, $"{request.Scheme}://{request.Host}/_emulator/signed/{fileId}?se={expiresAt}&sig={signer.Sign(fileId, expiresAt)}");
        return Results.Json(new UrlDto(url), EmulatorJsonContext.Default.UrlDto);
    }

    private static IResult DownloadSigned(string fileId, long se, string sig, EmulatorStore store, SignedUrlSigner signer, TimeProvider timeProvider)
    {
        if (!signer.Verify(fileId, se, sig) || timeProvider.GetUtcNow().ToUnixTimeSeconds() > se)
        {
            return Results.StatusCode(403);
        }

        return store.FindFile(fileId) is { } file
            ? Results.File(file.Path, "application/octet-stream", file.Filename)
            : Results.NotFound();
    }

    private static async Task<Upload> SaveAsync(Stream body, string path, string fileName, long limit, CancellationToken cancellationToken)
    {
        var counter = new LineCounter();
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[81920];
        long total = 0;
        await using (var target = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
        {
            int read;
            while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
                if (total > limit)
                {
                    return new Upload(path, fileName, total, 0, null, TooLarge: true);
                }

                counter.Append(buffer.AsSpan(0, read));
                hash.AppendData(buffer, 0, read);
                await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            }
        }

        return new Upload(path, fileName, total, counter.Finish(), Convert.ToHexStringLower(hash.GetHashAndReset()), TooLarge: false);
    }

    private sealed record Upload(string Path, string FileName, long Bytes, long Lines, string? Signature, bool TooLarge);
}
