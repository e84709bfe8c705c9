using System.Buffers.Binary;
using System.Text;
using BatchFunctions.Core.Jsonl;
using CsCheck;

namespace BatchFunctions.Core.Tests.Jsonl;

public sealed class JsonlPartPlannerTests
{
    [Fact]
    public async Task ValidateAsync_WithPlanner_PlansTheSplittersPartsAsRangesOfTheInput()
    {
        var gen = Gen.Select(Gen.Int[1, 200], Gen.Int[1, 15], Gen.Int[0, 400], Gen.Bool, Gen.Int[0, 10]);
        await gen.SampleAsync(
            async (count, maxRequests, extraBytes, finalNewline, blankEvery) =>
            {
                var input = JsonlSplitterTests.Lines(count, finalNewline, blankEvery);
                var options = new JsonlSplitOptions { MaxRequestsPerPart = maxRequests, MaxLineBytes = 64, MaxBytesPerPart = 66 + extraBytes };
                var staged = new List<MemoryStream>();
                var split = await JsonlSplitter.SplitAsync(new MemoryStream(input), (_, _) => Task.FromResult<Stream>(Add(staged)), options);

                var planner = new JsonlPartPlanner(options);
                var report = await JsonlValidator.ValidateAsync(new MemoryStream(input), new JsonlValidationOptions { MaxLineBytes = 64 }, planner);
                var planned = await planner.CompleteAsync(CancellationToken.None);

                Assert.True(report.IsValid);
                Assert.Equal(split, planned);
                Assert.All(planned, p => Assert.Equal(staged[p.Index].ToArray(), input.AsSpan((int)p.Offset, (int)p.Bytes).ToArray()));
                Assert.Equal(planned.Select(p => p.FirstRequest), planned.Select(p => planned.Where(q => q.Index < p.Index).Sum(q => q.Requests)));
            },
            iter: 200);
    }

    [Fact]
    public async Task ValidateAsync_WithHashStream_WritesEachRequestsIdHashInInputOrder()
    {
        // Blank lines are no requests, and an escaped id is hashed as the text it stands for.
        var input = Encoding.UTF8.GetBytes("{\"custom_id\":\"a\",\"body\":{}}\n\n{\"custom_id\":\"\\u0062\",\"body\":{}}\n{\"custom_id\":\"c\",\"body\":{}}\n");
        var hashes = new MemoryStream();
        var planner = new JsonlPartPlanner(new JsonlSplitOptions { MaxRequestsPerPart = 2, MaxLineBytes = 100 }, hashes);

        await JsonlValidator.ValidateAsync(new MemoryStream(input), null, planner);
        var parts = await planner.CompleteAsync(CancellationToken.None);

        Assert.Equal([2L, 1L], parts.Select(p => p.Requests));
        Assert.Equal(
            new[] { "a", "b", "c" }.Select(id => CustomIdSet.Hash(Encoding.UTF8.GetBytes(id))),
            Enumerable.Range(0, 3).Select(i => BinaryPrimitives.ReadUInt64LittleEndian(hashes.ToArray().AsSpan(i * 8))));
    }

    [Fact]
    public async Task AddAsync_MoreHashesThanItsBuffer_WritesThemAll()
    {
        var hashes = new MemoryStream();
        var planner = new JsonlPartPlanner(new JsonlSplitOptions { MaxRequestsPerPart = 100_000, MaxLineBytes = 100 }, hashes);

        for (var i = 1UL; i <= 20_000; i++)
        {
            await planner.AddAsync(10, isRequest: true, i, CancellationToken.None);
        }

        var parts = await planner.CompleteAsync(CancellationToken.None);

        Assert.Equal(20_000 * 8, hashes.Length);
        Assert.Equal(20_000UL, BinaryPrimitives.ReadUInt64LittleEndian(hashes.ToArray().AsSpan(19_999 * 8)));
        Assert.Equal(200_000, Assert.Single(parts).Bytes);
    }

    private static MemoryStream Add(List<MemoryStream> parts)
    {
        var part = new MemoryStream();
        parts.Add(part);
        return part;
    }
}
