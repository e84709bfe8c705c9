using System.Text;

namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// Validates a JSONL batch input in one streaming pass, never holding the file: every line is checked
/// (it never stops at the first error) and the result is data, not an exception.
/// </summary>
public static partial class JsonlValidator
{
    /// <summary>Reads <paramref name="input"/> to its end and reports what is wrong with it.</summary>
    public static Task<JsonlValidationReport> ValidateAsync(Stream input, JsonlValidationOptions? options = null, CancellationToken cancellationToken = default) =>
        ValidateAsync(input, options, null, cancellationToken);

    /// <summary>
    /// Reads <paramref name="input"/> to its end and reports what is wrong with it, giving every line to
    /// <paramref name="planner"/> on the way (with its custom_id's hash), so that the parts of a valid input
    /// are known when its validation ends.
    /// </summary>
    /// <remarks>
    /// Lines are independent but for their custom_ids being unique and their count, so they are checked in
    /// batches on every core while this method reads the next ones; the batches' findings are then taken in
    /// input order (duplicates, the request count, the planner), so the report is the same as one core's.
    /// </remarks>
    public static async Task<JsonlValidationReport> ValidateAsync(Stream input, JsonlValidationOptions? options, JsonlPartPlanner? planner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        options ??= new JsonlValidationOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxLineBytes, 1, nameof(options));

        var rules = new LineRules(options);
        var run = new Run(options, planner);
        var inFlight = new Queue<(LineBatch Batch, Task Checked)>();
        var spare = new Stack<LineBatch>();
        var limit = Math.Max(2, Environment.ProcessorCount + 1);
        var batch = new LineBatch { HoldsFirstLine = true };
        try
        {
            // This loop only moves bytes: it fills a batch's buffer, hands the whole lines in it to a check
            // on another core and carries the unfinished line over to the next batch. Finding the lines is
            // the checks' work, so one reader keeps every core busy.
            var filled = 0;
            var searched = 0;
            while (true)
            {
                var ended = false;
                while (filled < batch.Capacity)
                {
                    var read = await input.ReadAsync(batch.Free(filled), cancellationToken);
                    if (read == 0)
                    {
                        ended = true;
                        break;
                    }

                    filled += read;
                }

                if (ended)
                {
                    batch.Used = filled;
                    await DispatchAsync(batch);
                    batch = null;
                    break;
                }

                var last = batch.Bytes(searched, filled - searched).LastIndexOf((byte)'\n');
                if (last >= 0)
                {
                    var next = NextBatch();
                    var carried = filled - (searched + last + 1);
                    next.CarryFrom(batch, searched + last + 1, carried);
                    batch.Used = searched + last + 1;
                    await DispatchAsync(batch);
                    batch = next;
                    filled = searched = carried;
                }
                else if (filled <= options.MaxLineBytes)
                {
                    // One line fills the buffer but may still be within the limit: make room for it.
                    batch.Grow(options.MaxLineBytes + 2);
                    searched = filled;
                }
                else
                {
                    // Too long to hold: count it to its end without keeping it, as a line of its own.
                    if (batch.LeadingTooLong > 0)
                    {
                        batch.Used = 0;
                        await DispatchAsync(batch);
                        batch = NextBatch();
                    }

                    (filled, ended) = await SkipLineAsync(batch, filled);
                    searched = 0;
                    if (ended)
                    {
                        await DispatchAsync(batch);
                        batch = null;
                        break;
                    }
                }
            }

            while (inFlight.Count > 0)
            {
                await TakeOldestAsync();
            }
        }
        finally
        {
            // On a failure, let the checks still running end before their buffers go back to the pool.
            foreach (var (pending, check) in inFlight)
            {
                await check.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                pending.Dispose();
            }

            batch?.Dispose();
            foreach (var unused in spare)
            {
                unused.Dispose();
            }
        }

        return run.Finish();

        LineBatch NextBatch() => spare.Count > 0 ? spare.Pop() : new LineBatch();

        // Reads past the rest of a line too long to hold; what follows its newline is left at the batch's start.
        async Task<(int Filled, bool Ended)> SkipLineAsync(LineBatch target, long skipped)
        {
            while (true)
            {
                var read = await input.ReadAsync(target.Free(0), cancellationToken);
                if (read == 0)
                {
                    target.LeadingTooLong = skipped;
                    target.LeadingTooLongEndsWithNewline = false;
                    target.Used = 0;
                    return (0, true);
                }

                var newline = target.Bytes(0, read).IndexOf((byte)'\n');
                if (newline < 0)
                {
                    skipped += read;
                    continue;
                }

                target.LeadingTooLong = skipped + newline + 1;
                target.LeadingTooLongEndsWithNewline = true;
                target.CarryFrom(target, newline + 1, read - newline - 1);
                return (read - newline - 1, false);
            }
        }

        async Task DispatchAsync(LineBatch full)
        {
            if (full.Used == 0 && full.LeadingTooLong == 0)
            {
                full.Reset();
                spare.Push(full);
                return;
            }

            inFlight.Enqueue((full, Task.Run(() => new LineChecker(rules, full).CheckAll(), cancellationToken)));
            while (inFlight.Count >= limit)
            {
                await TakeOldestAsync();
            }
        }

        async Task TakeOldestAsync()
        {
            var (done, check) = inFlight.Dequeue();
            try
            {
                await check;
                await run.TakeAsync(done, cancellationToken);
            }
            catch
            {
                done.Dispose();
                throw;
            }

            done.Reset();
            spare.Push(done);
        }
    }

    /// <summary>What every batch of a pass checks against: the options and the endpoint's rule, read-only.</summary>
    private sealed class LineRules(JsonlValidationOptions options)
    {
        public JsonlValidationOptions Options { get; } = options;

        public byte[]? Model { get; } = options.Model is null ? null : Encoding.UTF8.GetBytes(options.Model);

        public EndpointRule Rule { get; } = EndpointRule.For(options.Endpoint);
    }

    /// <summary>One line of a batch: where it is, and what its check found.</summary>
    private struct LineEntry
    {
        public long Number;
        public long RawLength;
        public int Start;
        public int Length;
        public bool TooLong;
        public bool Crlf;
        public bool EndsWithNewline;
        public bool Blank;
        public ulong Hash;
        public int ErrorStart;
        public int ErrorEnd;
        public int WarningStart;
        public int WarningEnd;

        /// <summary>Where among the line's errors a duplicate custom_id belongs; -1 when it has no id to check.</summary>
        public int DuplicateAt;

        /// <summary>Bytes of prompt text in the body's input (message contents, inputs), for the estimate.</summary>
        public long PromptBytes;

        public int Messages;

        public long MaxTokens;

        public bool HasMaxTokens;
    }
}
