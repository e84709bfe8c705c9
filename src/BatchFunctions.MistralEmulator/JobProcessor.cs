using System.Text.Unicode;
using System.Text.Json;

namespace BatchFunctions.MistralEmulator;

/// <summary>
/// Moves jobs along QUEUED -> RUNNING -> terminal by the emulator clock, running the fake model over
/// each input line as the processing rate allows. Called whenever a job is read, so the emulator needs
/// no background thread and a fake clock makes every transition deterministic.
/// </summary>
internal sealed class JobProcessor(EmulatorStore store, TimeProvider timeProvider)
{
    /// <summary>The workspace's pending requests now: every job brought up to date (they advance lazily, when read), then summed.</summary>
    public long WorkspacePending()
    {
        var pending = 0L;
        foreach (var job in store.Jobs)
        {
            Advance(job);
            pending += job.Pending;
        }

        return pending;
    }

    public void Advance(StoredJob job)
    {
        lock (job.Gate)
        {
            if (job.IsTerminal)
            {
                return;
            }

            var now = timeProvider.GetUtcNow();
            var settings = store.Settings;
            if (job.Status == "CANCELLATION_REQUESTED")
            {
                if (now >= job.CancelRequestedAt + settings.CancellationDelay)
                {
                    Finish(job, "CANCELLED", now);
                }

                return;
            }

            var deadline = job.CreatedAt + TimeSpan.FromHours(job.TimeoutHours);
            if (job.Status == "QUEUED")
            {
                var start = job.CreatedAt + settings.QueueDelay;
                if (now < start)
                {
                    return;
                }

                if (!Start(job, start))
                {
                    return;
                }
            }

            var until = now < deadline ? now : deadline;
            var target = settings.RequestsPerSecond <= 0
                ? job.Total
                : (int)Math.Min(job.Total, Math.Floor((until - job.StartedAt!.Value).TotalSeconds * settings.RequestsPerSecond));
            if (job.ForcedOutcome is { } forced)
            {
                target = Math.Min(target, forced.AfterRequests);
            }

            Process(job, target);

            if (job.ForcedOutcome is { } outcome && job.Completed >= Math.Min(outcome.AfterRequests, job.Total) && (outcome.AfterRequests < job.Total || job.Completed == job.Total))
            {
                if (outcome.Status == "FAILED")
                {
                    job.Errors.Add(new JobErrorDto(outcome.Message ?? "Job failed (emulated).", 1));
                }

                Finish(job, outcome.Status, now);
            }
            else if (job.Completed >= job.Total)
            {
                Finish(job, "SUCCESS", now);
            }
            else if (now >= deadline)
            {
                Finish(job, "TIMEOUT_EXCEEDED", now);
            }
        }
    }

    public void RequestCancel(StoredJob job)
    {
        Advance(job);
        lock (job.Gate)
        {
            if (!job.IsTerminal && job.Status != "CANCELLATION_REQUESTED")
            {
                job.Status = "CANCELLATION_REQUESTED";
                job.CancelRequestedAt = timeProvider.GetUtcNow();
            }
        }
    }

    /// <summary>The job's results as inline outputs: the output file's lines, then the error file's.</summary>
    public static List<JsonElement> ReadOutputs(StoredJob job)
    {
        var outputs = new List<JsonElement>();
        foreach (var path in new[] { job.OutputPath, job.ErrorPath })
        {
            if (!File.Exists(path))
            {
                continue;
            }

            foreach (var line in File.ReadLines(path))
            {
                using var document = JsonDocument.Parse(line);
                outputs.Add(document.RootElement.Clone());
            }
        }

        return outputs;
    }

    private bool Start(StoredJob job, DateTimeOffset start)
    {
        long total = 0;
        foreach (var path in job.InputPaths)
        {
            if (!File.Exists(path))
            {
                job.Errors.Add(new JobErrorDto("An input file was deleted before the job started.", 1));
                Finish(job, "FAILED", start);
                return false;
            }

            total += CountLines(path);
        }

        job.Total = (int)Math.Min(total, int.MaxValue);
        job.Status = "RUNNING";
        job.StartedAt = start;
        return true;
    }

    private static void Process(StoredJob job, int target)
    {
        if (job.Completed >= target)
        {
            return;
        }

        using var output = new FileStream(job.OutputPath, FileMode.Append, FileAccess.Write, FileShare.Read);
        using var errors = new FileStream(job.ErrorPath, FileMode.Append, FileAccess.Write, FileShare.Read);
        using var outputWriter = new Utf8JsonWriter(output);
        using var errorWriter = new Utf8JsonWriter(errors);
        while (job.Completed < target && ReadNextLine(job) is { } line)
        {
            job.LineNumber++;
            var succeeded = WriteResult(job, line, outputWriter, errorWriter);
            var (writer, stream) = succeeded ? (outputWriter, output) : (errorWriter, errors);
            writer.Flush();
            writer.Reset();
            stream.WriteByte((byte)'\n');
            if (succeeded)
            {
                job.Succeeded++;
            }
            else
            {
                job.Failed++;
            }
        }
    }

    /// <summary>The next non-blank line of the job's input, across its files; null at the end.</summary>
    private static byte[]? ReadNextLine(StoredJob job)
    {
        while (job.InputIndex < job.InputPaths.Count)
        {
            job.Reader ??= new ByteLineReader(File.OpenRead(job.InputPaths[job.InputIndex]));
            var line = job.Reader.ReadLine();
            if (line is null)
            {
                job.Reader.Dispose();
                job.Reader = null;
                job.InputIndex++;
                continue;
            }

            if (line.AsSpan().IndexOfAnyExcept(" \t\r"u8) >= 0)
            {
                return line;
            }
        }

        return null;
    }

    private static bool WriteResult(StoredJob job, byte[] line, Utf8JsonWriter outputWriter, Utf8JsonWriter errorWriter)
    {
        string? customId = null;
        string? error;
        JsonDocument? document = null;
        try
        {
            if (!Utf8.IsValid(line))
            {
                error = "the line is not valid UTF-8";
            }
            else
            {
                document = JsonDocument.Parse(line);
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object)
                {
                    error = "each line must be a JSON object";
                }
                else
                {
                    customId = root.TryGetProperty("custom_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
                    error = root.TryGetProperty("body", out var body)
                        ? FakeModel.Validate(job.Endpoint, body, ModelFor(job, body), job.AgentId is not null)
                        : "body: field required";
                    if (error is null)
                    {
                        WriteLine(outputWriter, job, customId, writer =>
                        {
                            writer.WriteStartObject("response");
                            writer.WriteNumber("status_code", 200);
                            writer.WritePropertyName("body");
                            FakeModel.WriteResponse(writer, job.Endpoint, body, ModelFor(job, body) ?? job.AgentId ?? "agent", $"{job.Id}:{job.LineNumber}:{customId}", job.StartedAt!.Value.ToUnixTimeSeconds());
                            writer.WriteEndObject();
                            writer.WriteNull("error");
                        });
                        return true;
                    }
                }
            }
        }
        catch (JsonException)
        {
            error = "the line is not valid JSON";
        }
        finally
        {
            document?.Dispose();
        }

        WriteLine(errorWriter, job, customId, writer =>
        {
            writer.WriteStartObject("response");
            writer.WriteNumber("status_code", 400);
            writer.WriteStartObject("body");
            writer.WriteString("object", "error");
            writer.WriteString("message", $"Invalid request: {error}");
            writer.WriteString("type", "invalid_request_error");
            writer.WriteNull("param");
            writer.WriteNull("code");
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteNull("error");
        });
        return false;
    }

    private static void WriteLine(Utf8JsonWriter writer, StoredJob job, string? customId, Action<Utf8JsonWriter> writeRest)
    {
        writer.WriteStartObject();
        var lineId = FakeModel.Hex($"{job.Id}:{job.LineNumber}", 16);
        var uuid = new Guid(Convert.FromHexString(lineId));
        writer.WriteString("id", $"batch-{job.Id[..8]}-{job.LineNumber}-{uuid}");
        if (customId is null)
        {
            writer.WriteNull("custom_id");
        }
        else
        {
            writer.WriteString("custom_id", customId);
        }

        writeRest(writer);
        writer.WriteEndObject();
    }

    /// <summary>The job's model wins over a line's (the contract leaves precedence open; this is the emulator's choice).</summary>
    private static string? ModelFor(StoredJob job, JsonElement body) =>
        job.Model ?? (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String ? model.GetString() : null);

    private void Finish(StoredJob job, string status, DateTimeOffset now)
    {
        job.Reader?.Dispose();
        job.Reader = null;
        job.Status = status;
        job.CompletedAt = now;
        var keepOutput = status == "SUCCESS" || job.Succeeded > 0;
        if (keepOutput)
        {
            if (!File.Exists(job.OutputPath))
            {
                File.WriteAllBytes(job.OutputPath, []);
            }

            job.OutputFile = Register(job.OutputPath, $"{job.Id}_output.jsonl", "batch_result", job.Succeeded, now);
        }

        if (job.Failed > 0)
        {
            job.ErrorFile = Register(job.ErrorPath, $"{job.Id}_error.jsonl", "batch_error", job.Failed, now);
        }
    }

    private string Register(string path, string name, string sampleType, long lines, DateTimeOffset now)
    {
        var file = new StoredFile
        {
            Id = Guid.NewGuid().ToString(),
            Filename = name,
            Purpose = "batch",
            SampleType = sampleType,
            Source = "mistral",
            Path = path,
            Bytes = new FileInfo(path).Length,
            NumLines = lines,
            CreatedAt = now,
            Mimetype = "application/jsonl",
        };
        store.AddFile(file);
        return file.Id;
    }

    private static long CountLines(string path)
    {
        using var stream = File.OpenRead(path);
        return LineCounter.Count(stream);
    }
}
