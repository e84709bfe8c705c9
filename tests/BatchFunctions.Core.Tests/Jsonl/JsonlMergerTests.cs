using System.Text;
using System.Text.Json;
using BatchFunctions.Core.Jsonl;
using CsCheck;

namespace BatchFunctions.Core.Tests.Jsonl;

public sealed class JsonlMergerTests
{
    [Fact]
    public async Task MergeAsync_ShuffledOutputs_AreWrittenInInputOrderAndCounted()
    {
        var input = Inputs(6);
        var output = new[] { Success("r4", "mistral-small-latest", 3, 4), Success("r1", "mistral-small-latest", 1, 2), Failure("r3", 400), Success("r6", "mistral-large-latest", 10, 1) };
        var errors = new[] { ErrorLine("r2"), Success("r5", "mistral-small-latest", 2, 2) };

        var (usage, results, failed) = await MergeAsync([Part(input, output, errors)]);

        Assert.Equal(["r1", "r4", "r5", "r6"], results.Select(CustomId));
        Assert.Equal(["r2", "r3"], failed.Select(CustomId));
        Assert.Equal((6L, 4L, 2L, 0L), (usage.Requests, usage.Succeeded, usage.Failed, usage.Missing));
        Assert.Equal((16L, 9L, 25L), (usage.PromptTokens, usage.CompletionTokens, usage.TotalTokens));
        Assert.Equal(new ModelUsage(3, 6, 8, 14), usage.Models["mistral-small-latest"]);
        Assert.Equal(new ModelUsage(1, 10, 1, 11), usage.Models["mistral-large-latest"]);
    }

    [Fact]
    public async Task MergeAsync_RequestWithoutAnyLine_IsWrittenAsMissingInItsPlace()
    {
        var (usage, results, failed) = await MergeAsync([Part(Inputs(3), [Success("r1"), Success("r3")], null)]);

        Assert.Equal(["r1", "r3"], results.Select(CustomId));
        var missing = Assert.Single(failed);
        Assert.Equal("r2", CustomId(missing));
        Assert.Equal("missing_result", JsonDocument.Parse(missing).RootElement.GetProperty("error").GetProperty("code").GetString());
        Assert.Equal((1L, 2L), (usage.Missing, usage.Succeeded));
    }

    [Theory]
    [InlineData("cancelled")]
    [InlineData("timed_out")]
    [InlineData("job_failed")]
    public async Task MergeAsync_PartThatWasNeverProcessed_WritesItsOwnCodeNotMissing(string code)
    {
        var reason = new[] { UnansweredReason.Cancelled, UnansweredReason.TimedOut, UnansweredReason.JobFailed }.Single(r => r.Code == code);

        var (usage, results, failed) = await MergeAsync([Part(Inputs(3), [Success("r1")], null) with { Unanswered = reason }]);

        Assert.Equal(["r1"], results.Select(CustomId));
        Assert.Equal(["r2", "r3"], failed.Select(CustomId));
        Assert.All(failed, line => Assert.Equal(code, JsonDocument.Parse(line).RootElement.GetProperty("error").GetProperty("code").GetString()));
        Assert.Equal((0L, 2L, 1L), (usage.Missing, usage.NotProcessed, usage.Succeeded));
    }

    [Fact]
    public async Task MergeAsync_IdHashesFromValidation_OrdersLikeTheInputAndOpensTheInputOnlyForTheUnanswered()
    {
        var input = Inputs(5);
        var hashes = new MemoryStream();
        var planner = new JsonlPartPlanner(new JsonlSplitOptions(), hashes);
        await JsonlValidator.ValidateAsync(new MemoryStream(input), null, planner);
        await planner.CompleteAsync(CancellationToken.None);
        var opened = 0;
        JsonlMergePart Hashed(string[] output) => Part(input, output, null) with
        {
            OpenInput = _ =>
            {
                opened++;
                return Task.FromResult<Stream>(new MemoryStream(input));
            },
            OpenIdHashes = _ => Task.FromResult<Stream>(new MemoryStream(hashes.ToArray())),
        };

        var answered = await MergeAsync([Hashed([Success("r5"), Success("r2"), Success("r1"), Success("r4"), Success("r3")])]);
        var openedWhenAnswered = opened;
        var partly = await MergeAsync([Hashed([Success("r4"), Success("r1")])]);

        Assert.Equal(["r1", "r2", "r3", "r4", "r5"], answered.Results.Select(CustomId));
        Assert.Equal(0, openedWhenAnswered);
        Assert.Equal(["r1", "r4"], partly.Results.Select(CustomId));
        Assert.Equal(["r2", "r3", "r5"], partly.Errors.Select(CustomId));
        Assert.Equal(1, opened);
    }

    [Fact]
    public async Task MergeAsync_DuplicatesAndUnknownIds_KeepTheFirstSuccessAndAppendTheUnknown()
    {
        var (usage, results, failed) = await MergeAsync([Part(Inputs(2), [Success("r2"), Success("zz"), Success("r1")], [Failure("r2", 500)])]);

        Assert.Equal(["r1", "r2", "zz"], results.Select(CustomId));
        Assert.Empty(failed);
        Assert.Equal((1L, 1L, 2L), (usage.Duplicates, usage.Unmatched, usage.Succeeded));
    }

    [Fact]
    public async Task MergeAsync_SeveralPartsEachSpillingToDisk_KeepsInputOrderAcrossParts()
    {
        // A sort buffer of a few lines: every part spills runs, and the sorters are reused from part to part.
        var options = new JsonlMergeOptions { SortBufferBytes = 256 };

        var (usage, results, failed) = await MergeAsync(
            [Part(Inputs(4), [Success("r4"), Success("r2"), Success("r1"), Success("r3")], [Failure("r9", 400)]), Part(Inputs(4, start: 5), [Success("r8"), Success("r6"), Success("r5")], [Failure("r7", 500)])],
            options);

        // An unknown id goes after its own part's lines.
        Assert.Equal(["r1", "r2", "r3", "r4", "r5", "r6", "r8"], results.Select(CustomId));
        Assert.Equal(["r9", "r7"], failed.Select(CustomId));
        Assert.Equal((8L, 7L, 1L, 1L), (usage.Requests, usage.Succeeded, usage.Failed, usage.Unmatched));
    }

    [Fact]
    public async Task MergeAsync_MergesInARowAndAtOnce_EachOrdersItsOwnLinesWhateverSorterStateIsReused()
    {
        // Sorters hand their entry lists and arenas on to the next merge: concurrent and later merges must not
        // see another's lines. Two rounds of six at once: the second takes what the first left in the pools.
        async Task MergeOneAsync(int m)
        {
            var count = 300 + (m * 50);
            var output = Enumerable.Range(1, count).Reverse().Select(i => Success($"r{i}")).ToArray();
            var part = Part(Inputs(count), output, [Failure($"r{count + 1}", 400)]) with { Requests = count };
            var (usage, results, failed) = await MergeAsync([part], new JsonlMergeOptions { SortBufferBytes = m % 2 == 0 ? 4096 : 1 << 20 });
            Assert.Equal(Enumerable.Range(1, count).Select(i => $"r{i}"), results.Select(CustomId));
            Assert.Equal([$"r{count + 1}"], failed.Select(CustomId));
            Assert.Equal(count, usage.Succeeded);
        }

        for (var round = 0; round < 2; round++)
        {
            await Task.WhenAll(Enumerable.Range(0, 6).Select(MergeOneAsync));
        }
    }

    [Fact]
    public async Task MergeAsync_SeveralParts_KeepsPartOrder()
    {
        var first = Inputs(3);
        var second = Inputs(3, start: 4);

        var (_, results, _) = await MergeAsync([Part(first, [Success("r3"), Success("r1"), Success("r2")], null), Part(second, [Success("r6"), Success("r4"), Success("r5")], null)]);

        Assert.Equal(["r1", "r2", "r3", "r4", "r5", "r6"], results.Select(CustomId));
    }

    [Fact]
    public async Task MergeAsync_SortBufferSmallerThanTheResults_SpillsAndStillOrders()
    {
        var count = 2000;
        var output = Enumerable.Range(1, count).Reverse().Select(i => Success($"r{i}")).ToArray();

        var (usage, results, _) = await MergeAsync([Part(Inputs(count), output, null)], new JsonlMergeOptions { SortBufferBytes = 16 * 1024 });

        Assert.Equal(Enumerable.Range(1, count).Select(i => $"r{i}"), results.Select(CustomId));
        Assert.Equal(count, usage.Succeeded);
    }

    [Fact]
    public async Task MergeAsync_SpilledLinesLongerThanTheRunBuffers_ComeBackWhole()
    {
        // Completions from a few bytes to several times the runs' 16 KiB read and 64 KiB write buffers, in an
        // arena that holds a few of them: every run has lines cut across buffer refills and lines read apart.
        var sizes = new[] { 3, 70_000, 17_000, 16_384, 200, 150_000, 65_536, 1, 40_000, 9 };
        var lines = sizes.Select((size, i) => Success($"r{i + 1}").Replace("\"model\"", $"\"text\":\"{new string((char)('a' + i), size)}\",\"model\"", StringComparison.Ordinal)).ToArray();

        var (usage, results, _) = await MergeAsync([Part(Inputs(sizes.Length), [.. lines.Reverse()], null)], new JsonlMergeOptions { SortBufferBytes = 400_000 });

        Assert.Equal(lines, results);
        Assert.Equal(sizes.Length, usage.Succeeded);
    }

    [Fact]
    public async Task MergeAsync_EscapedIdsBadNumbersAndInvalidUtf8_AreReadAsTheJsonSays()
    {
        var escaped = Success("r1").Replace("\"r1\"", "\"\\u00721\"", StringComparison.Ordinal);
        var fractionalStatus = Success("r2").Replace("200", "200.0", StringComparison.Ordinal);
        var invalid = Encoding.UTF8.GetBytes(Success("r3").Replace("\"m\"", "\"\u00e9\"", StringComparison.Ordinal));
        invalid[Array.IndexOf(invalid, (byte)0xC3)] = 0xFF;
        var output = Encoding.UTF8.GetBytes(escaped + "\n" + fractionalStatus + "\n").Concat(invalid).Append((byte)'\n').ToArray();
        var part = new JsonlMergePart(
            _ => Task.FromResult<Stream>(new MemoryStream(Inputs(3))),
            _ => Task.FromResult<Stream?>(new MemoryStream(output)),
            _ => Task.FromResult<Stream?>(null));

        var (usage, results, failed) = await MergeAsync([part]);

        // An escaped id is the id it decodes to; a status of 200.0 is not a whole number, so not a 2xx; a line
        // that is not UTF-8 is not JSON (kept among the errors, with no id to place it by, so r3 has no answer).
        Assert.Equal([escaped], results);
        Assert.Equal(3, failed.Count);
        Assert.Equal("r2", CustomId(failed[0]));
        Assert.Equal((3L, 1L, 1L, 1L, 1L), (usage.Requests, usage.Succeeded, usage.Failed, usage.Unmatched, usage.Missing));
    }

    [Fact]
    public async Task MergeAsync_AnyOutcomesShuffled_EveryRequestEndsInExactlyOneFileInInputOrder()
    {
        // Order 0: shuffled; 1: as the input; 2: as the input but for a few lines moved later (most are written
        // at once, and those after a moved one are held and sorted).
        var gen = Gen.Select(Gen.Int[1, 120], Gen.Int[0, 3].Array[120], Gen.Int[1, 5], Gen.Int, Gen.Int[0, 2]);
        await gen.SampleAsync(
            async (count, outcomes, partCount, seed, order) =>
            {
                var random = new Random(seed);
                var parts = new List<JsonlMergePart>();
                var expectedResults = new List<string>();
                var expectedErrors = new List<string>();
                var size = (count + partCount - 1) / partCount;
                for (var start = 1; start <= count; start += size)
                {
                    var ids = Enumerable.Range(start, Math.Min(size, count - start + 1)).ToList();
                    var output = new List<string>();
                    var errors = new List<string>();
                    foreach (var i in ids)
                    {
                        // 0: success, 1: failure in the output file, 2: line in the error file, 3: no line at all.
                        switch (outcomes[(i - 1) % outcomes.Length])
                        {
                            case 0:
                                output.Add(Success($"r{i}"));
                                expectedResults.Add($"r{i}");
                                break;
                            case 1:
                                output.Add(Failure($"r{i}", 422));
                                expectedErrors.Add($"r{i}");
                                break;
                            case 2:
                                errors.Add(ErrorLine($"r{i}"));
                                expectedErrors.Add($"r{i}");
                                break;
                            default:
                                expectedErrors.Add($"r{i}");
                                break;
                        }
                    }

                    parts.Add(Part(Inputs(ids.Count, ids[0]), Reorder(output, order, random), Reorder(errors, order, random)));
                }

                var (usage, results, failed) = await MergeAsync(parts, new JsonlMergeOptions { SortBufferBytes = 2048 });

                Assert.Equal(expectedResults, results.Select(CustomId));
                Assert.Equal(expectedErrors, failed.Select(CustomId));
                Assert.Equal(count, usage.Succeeded + usage.Failed + usage.Missing);
                Assert.Equal(count, usage.Requests);
            },
            iter: 200);

        static string[] Reorder(List<string> lines, int order, Random random)
        {
            if (order == 0)
            {
                return [.. lines.OrderBy(_ => random.Next())];
            }

            for (var moves = order == 2 ? random.Next(1, 4) : 0; moves > 0 && lines.Count > 1; moves--)
            {
                var from = random.Next(lines.Count - 1);
                var line = lines[from];
                lines.RemoveAt(from);
                lines.Insert(random.Next(from + 1, lines.Count + 1), line);
            }

            return [.. lines];
        }
    }

    [Fact]
    public async Task MergeAsync_OutputInInputOrder_WritesResultsWhileTheOutputIsStillBeingRead()
    {
        // 3,000 results of about 150 bytes, with a sort buffer of 4 KiB: held, they would be spilled and written
        // only once the output was read to its end.
        const int count = 3000;
        var output = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(1, count).Select(i => Success($"r{i}") + "\n")));
        using var results = new MemoryStream();
        using var errors = new MemoryStream();
        long? writtenWhenOutputEnded = null;
        var part = new JsonlMergePart(
            _ => Task.FromResult<Stream>(new MemoryStream(Inputs(count))),
            _ => Task.FromResult<Stream?>(new EndWatchingStream(output, () => writtenWhenOutputEnded ??= results.Length)),
            _ => Task.FromResult<Stream?>(null));

        var usage = await JsonlMerger.MergeAsync([part], results, errors, new JsonlMergeOptions { SortBufferBytes = 4096 });

        Assert.Equal(count, usage.Succeeded);
        Assert.True(writtenWhenOutputEnded > output.Length / 2, $"{writtenWhenOutputEnded} of {results.Length} bytes were written when the output had been read.");
        Assert.Equal(Enumerable.Range(1, count).Select(i => $"r{i}"), Encoding.UTF8.GetString(results.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(CustomId));
    }

    private static byte[] Inputs(int count, int start = 1) =>
        Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(start, count).Select(i => $"{{\"custom_id\":\"r{i}\",\"body\":{{\"input\":\"x\"}}}}\n")));

    private static string Success(string id, string model = "m", int prompt = 1, int completion = 1) =>
        $"{{\"id\":\"batch-1\",\"custom_id\":\"{id}\",\"response\":{{\"status_code\":200,\"body\":{{\"model\":\"{model}\",\"usage\":{{\"prompt_tokens\":{prompt},\"completion_tokens\":{completion},\"total_tokens\":{prompt + completion}}}}}}},\"error\":null}}";

    private static string Failure(string id, int status) =>
        $"{{\"custom_id\":\"{id}\",\"response\":{{\"status_code\":{status},\"body\":{{\"object\":\"error\",\"message\":\"bad\"}}}},\"error\":null}}";

    private static string ErrorLine(string id) =>
        $"{{\"custom_id\":\"{id}\",\"response\":null,\"error\":{{\"message\":\"failed\",\"code\":\"x\"}}}}";

    private static JsonlMergePart Part(byte[] input, string[] output, string[]? errors) => new(
        _ => Task.FromResult<Stream>(new MemoryStream(input)),
        _ => Task.FromResult<Stream?>(new MemoryStream(Encoding.UTF8.GetBytes(string.Concat(output.Select(l => l + "\n"))))),
        _ => Task.FromResult<Stream?>(errors is null ? null : new MemoryStream(Encoding.UTF8.GetBytes(string.Concat(errors.Select(l => l + "\n"))))));

    private static async Task<(BatchUsage Usage, List<string> Results, List<string> Errors)> MergeAsync(IReadOnlyList<JsonlMergePart> parts, JsonlMergeOptions? options = null)
    {
        using var results = new MemoryStream();
        using var errors = new MemoryStream();
        var usage = await JsonlMerger.MergeAsync(parts, results, errors, options);
        return (usage, Split(results), Split(errors));

        static List<string> Split(MemoryStream stream) => [.. Encoding.UTF8.GetString(stream.ToArray()).Split('\n', StringSplitOptions.RemoveEmptyEntries)];
    }

    private static string? CustomId(string line) => JsonDocument.Parse(line).RootElement.GetProperty("custom_id").GetString();

    /// <summary>A stream over <paramref name="content"/> that calls <paramref name="ended"/> when a read finds its end.</summary>
    private sealed class EndWatchingStream(byte[] content, Action ended) : MemoryStream(content)
    {
        public override int Read(byte[] buffer, int offset, int count) => Ended(base.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Ended(base.Read(buffer));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            Task.FromResult(Read(buffer, offset, count));

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(Read(buffer.Span));

        private int Ended(int read)
        {
            if (read == 0)
            {
                ended();
            }

            return read;
        }
    }
}
