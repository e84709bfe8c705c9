using System.Text;
using BatchFunctions.Core.Jsonl;
using CsCheck;

namespace BatchFunctions.Core.Tests.Jsonl;

public sealed class JsonlSplitterTests
{
    [Fact]
    public async Task SplitAsync_RequestLimit_CutsPartsAtTheLimitAndKeepsBytes()
    {
        var input = Lines(7);
        var parts = new List<MemoryStream>();

        var described = await SplitAsync(input, parts, new JsonlSplitOptions { MaxRequestsPerPart = 3, MaxLineBytes = 100 });

        Assert.Equal([3L, 3L, 1L], described.Select(p => p.Requests));
        Assert.Equal([1L, 4L, 7L], described.Select(p => p.FirstLine));
        Assert.Equal(input, parts.SelectMany(p => p.ToArray()).ToArray());
    }

    [Fact]
    public async Task SplitAsync_ByteLimit_NeverExceedsIt()
    {
        var input = Lines(10);
        var parts = new List<MemoryStream>();
        var limit = (input.Length / 10 * 3) + 5;

        var described = await SplitAsync(input, parts, new JsonlSplitOptions { MaxBytesPerPart = limit, MaxLineBytes = 60 });

        Assert.All(described, p => Assert.True(p.Bytes <= limit));
        Assert.Equal(10, described.Sum(p => p.Requests));
        Assert.Equal(parts.Select(p => p.Length), described.Select(p => p.Bytes));
    }

    [Fact]
    public void FitsInOnePart_SmallInput_NeedsNoCopy()
    {
        var report = new JsonlValidationReport { Requests = 10, Lines = 10, Bytes = 1000, ErrorCount = 0, WarningCount = 0, Errors = [], Warnings = [] };

        Assert.True(JsonlSplitter.FitsInOnePart(report, new JsonlSplitOptions()));
        Assert.False(JsonlSplitter.FitsInOnePart(report, new JsonlSplitOptions { MaxRequestsPerPart = 9 }));
        Assert.False(JsonlSplitter.FitsInOnePart(report, new JsonlSplitOptions { MaxBytesPerPart = 999, MaxLineBytes = 100 }));
    }

    [Fact]
    public async Task SplitAsync_LineLongerThanValidated_Throws()
    {
        var input = Encoding.UTF8.GetBytes(new string('x', 500) + "\n");

        await Assert.ThrowsAsync<InvalidDataException>(() => SplitAsync(input, [], new JsonlSplitOptions { MaxLineBytes = 100 }));
    }

    [Fact]
    public async Task SplitAsync_AnyInputAndLimits_PartsConcatenatedEqualTheInputWithinLimits()
    {
        var gen = Gen.Select(Gen.Int[1, 200], Gen.Int[1, 15], Gen.Int[0, 400], Gen.Bool, Gen.Int[0, 10]);
        await gen.SampleAsync(
            async (count, maxRequests, extraBytes, finalNewline, blankEvery) =>
            {
                var input = Lines(count, finalNewline, blankEvery);
                var options = new JsonlSplitOptions { MaxRequestsPerPart = maxRequests, MaxLineBytes = 64, MaxBytesPerPart = 66 + extraBytes };
                var parts = new List<MemoryStream>();

                var described = await SplitAsync(input, parts, options);

                Assert.Equal(input, parts.SelectMany(p => p.ToArray()).ToArray());
                Assert.All(described, p => Assert.InRange(p.Requests, 0, maxRequests));
                Assert.All(described, p => Assert.InRange(p.Bytes, 1, options.MaxBytesPerPart));
                Assert.Equal(count, described.Sum(p => p.Requests));
                Assert.Equal(Enumerable.Range(0, described.Count), described.Select(p => p.Index));
            },
            iter: 200);
    }

    internal static byte[] Lines(int count, bool finalNewline = true, int blankEvery = 0)
    {
        var builder = new StringBuilder();
        for (var i = 1; i <= count; i++)
        {
            if (blankEvery > 0 && i % blankEvery == 0)
            {
                builder.Append('\n');
            }

            builder.Append("{\"custom_id\":\"id").Append(i).Append("\",\"body\":{\"input\":\"").Append(new string('w', i % 13)).Append("\"}}");
            if (i < count || finalNewline)
            {
                builder.Append('\n');
            }
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    private static Task<IReadOnlyList<JsonlPart>> SplitAsync(byte[] input, List<MemoryStream> parts, JsonlSplitOptions options) =>
        JsonlSplitter.SplitAsync(
            new MemoryStream(input),
            (index, _) =>
            {
                Assert.Equal(parts.Count, index);
                var part = new MemoryStream();
                parts.Add(part);
                return Task.FromResult<Stream>(new KeepOpen(part));
            },
            options);

    /// <summary>Keeps the test's copy readable after the splitter disposes the part stream.</summary>
    private sealed class KeepOpen(MemoryStream inner) : Stream
    {
        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
    }
}
