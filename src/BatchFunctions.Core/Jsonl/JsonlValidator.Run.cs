using System.Globalization;

namespace BatchFunctions.Core.Jsonl;

/// <summary>The state of a validation pass.</summary>
public static partial class JsonlValidator
{
    /// <summary>The state of one validation pass: counts, the issues kept, the custom_ids seen, and the planner, fed batch by batch in input order.</summary>
    private sealed class Run(JsonlValidationOptions options, JsonlPartPlanner? planner)
    {
        // The shortest request line, {"custom_id":"a","body":{}} and its newline, has 28 bytes.
        private readonly CustomIdSet _ids = new(options.ExpectedBytes is { } bytes ? Math.Min(bytes / 28, options.MaxRequests + 1) : 0);
        private readonly List<JsonlIssue> _errors = [];
        private readonly List<JsonlIssue> _warnings = [];
        private long _errorCount;
        private long _warningCount;
        private bool _crlfReported;
        private bool _lastEndsWithNewline = true;
        private bool _lastWasBlank = true;

        public long Requests { get; private set; }

        private long _lines;
        private long _bytes;
        private long _promptBytes;
        private long _messages;
        private long _maxTokens;
        private long _withoutMaxTokens;

        /// <summary>Takes a checked batch's findings, line by line, in the order one pass over the lines would have made them.</summary>
        public async ValueTask TakeAsync(LineBatch batch, CancellationToken cancellationToken)
        {
            // The check numbered the batch's lines from 1; this is where they stand in the input.
            var before = _lines;
            _lines += batch.Count;
            for (var i = 0; i < batch.Count; i++)
            {
                var entry = batch[i];
                entry.Number += before;
                _bytes += entry.RawLength;
                _lastEndsWithNewline = entry.EndsWithNewline;
                _lastWasBlank = !entry.TooLong && entry.Blank;
                if (entry.TooLong)
                {
                    CountRequest(entry.Number);
                    Error(new JsonlIssue(entry.Number, null, JsonlCodes.LineTooLong, string.Create(CultureInfo.InvariantCulture, $"The line has {entry.RawLength} bytes; at most {options.MaxLineBytes} are accepted.")));
                }
                else
                {
                    if (!entry.Blank)
                    {
                        CountRequest(entry.Number);
                        _promptBytes += entry.PromptBytes;
                        _messages += entry.Messages;
                        _maxTokens += entry.MaxTokens;
                        _withoutMaxTokens += entry.HasMaxTokens ? 0 : 1;
                    }

                    var duplicate = entry.DuplicateAt >= 0 && !_ids.AddHash(entry.Hash);
                    for (var k = entry.ErrorStart; k <= entry.ErrorEnd; k++)
                    {
                        if (duplicate && k == entry.DuplicateAt)
                        {
                            Error(DuplicateIssue(entry.Number, batch.Line(entry)));
                        }

                        if (k < entry.ErrorEnd)
                        {
                            Error(At(batch.Errors[k], before));
                        }
                    }

                    for (var k = entry.WarningStart; k < entry.WarningEnd; k++)
                    {
                        Warning(At(batch.Warnings[k], before));
                    }

                    if (entry.Crlf && !_crlfReported)
                    {
                        _crlfReported = true;
                        Warning(new JsonlIssue(entry.Number, null, JsonlCodes.CrlfLineEndings, "Lines end with CRLF (this is the first); they are accepted, though JSONL expects LF."));
                    }
                }

                if (planner is not null)
                {
                    await planner.AddAsync(entry.RawLength, entry.TooLong || !entry.Blank, entry.TooLong ? 0 : entry.Hash, cancellationToken);
                }
            }
        }

        public JsonlValidationReport Finish()
        {
            var lines = _lines;
            var bytes = _bytes;
            if (lines > 0 && !_lastEndsWithNewline && !_lastWasBlank)
            {
                Warning(new JsonlIssue(lines, null, JsonlCodes.MissingFinalNewline, "The last line has no newline at its end; it is accepted as a request."));
            }

            if (Requests == 0)
            {
                Error(new JsonlIssue(0, null, JsonlCodes.EmptyFile, "The input holds no request: each line must be {\"custom_id\": ..., \"body\": {...}}."));
            }

            return new JsonlValidationReport
            {
                Requests = Requests,
                Lines = lines,
                Bytes = bytes,
                ErrorCount = _errorCount,
                WarningCount = _warningCount,
                Errors = _errors.OrderBy(e => e.Line).ToList(),
                Warnings = _warnings,
                PromptTextBytes = _promptBytes,
                Messages = _messages,
                MaxTokens = _maxTokens,
                RequestsWithoutMaxTokens = _withoutMaxTokens,
            };
        }

        private static JsonlIssue At(JsonlIssue issue, long before) => before == 0 ? issue : issue with { Line = issue.Line + before };

        private static JsonlIssue DuplicateIssue(long number, ReadOnlySpan<byte> line) =>
            new(number, "custom_id", JsonlCodes.DuplicateCustomId, $"custom_id '{LineChecker.Shorten(LineChecker.ReadCustomId(line))}' is used by an earlier line; each must be unique.");

        private void CountRequest(long line)
        {
            Requests++;
            if (Requests == options.MaxRequests + 1)
            {
                Error(new JsonlIssue(line, null, JsonlCodes.TooManyRequests, string.Create(CultureInfo.InvariantCulture, $"The input holds more than {options.MaxRequests} requests, the most one batch may have in flight; split it into several files.")));
            }
        }

        private void Error(JsonlIssue issue)
        {
            _errorCount++;
            if (_errors.Count < options.MaxIssues)
            {
                _errors.Add(issue);
            }
        }

        private void Warning(JsonlIssue issue)
        {
            _warningCount++;
            if (_warnings.Count < options.MaxIssues)
            {
                _warnings.Add(issue);
            }
        }
    }
}
