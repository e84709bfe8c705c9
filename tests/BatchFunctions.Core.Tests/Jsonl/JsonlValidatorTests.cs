using System.Text;
using BatchFunctions.Core.Jsonl;
using BatchFunctions.Core.Mistral;

namespace BatchFunctions.Core.Tests.Jsonl;

public sealed class JsonlValidatorTests
{
    private const string Good = """{"custom_id":"a","body":{"messages":[{"role":"user","content":"hi"}]}}""";

    private static readonly JsonlValidationOptions Chat = new() { Endpoint = ApiEndpoint.ChatCompletions, Model = "mistral-small-latest" };

    /// <summary>The corpus of bad inputs: each with the exact line, field and code expected.</summary>
    public static TheoryData<string, string, long, string?, string> BadInputs => new()
    {
        { "invalid JSON", Good + "\n{\"custom_id\":\"b\",\"body\":{\n", 2, null, JsonlCodes.InvalidJson },
        { "trailing garbage", Good + " x\n", 1, null, JsonlCodes.InvalidJson },
        { "array line", "[1,2]\n", 1, null, JsonlCodes.NotAnObject },
        { "number line", "42\n", 1, null, JsonlCodes.NotAnObject },
        { "missing custom_id", """{"body":{"messages":[{"role":"user","content":"x"}]}}""" + "\n", 1, "custom_id", JsonlCodes.MissingCustomId },
        { "numeric custom_id", """{"custom_id":7,"body":{"messages":[{"role":"user","content":"x"}]}}""" + "\n", 1, "custom_id", JsonlCodes.InvalidCustomId },
        { "empty custom_id", """{"custom_id":"","body":{"messages":[{"role":"user","content":"x"}]}}""" + "\n", 1, "custom_id", JsonlCodes.InvalidCustomId },
        { "long custom_id", "{\"custom_id\":\"" + new string('i', 513) + "\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}}\n", 1, "custom_id", JsonlCodes.InvalidCustomId },
        { "duplicate custom_id", Good + "\n" + Good.Replace("hi", "again", StringComparison.Ordinal) + "\n", 2, "custom_id", JsonlCodes.DuplicateCustomId },
        { "escaped duplicate custom_id", Good + "\n" + Good.Replace("\"a\"", "\"\\u0061\"", StringComparison.Ordinal) + "\n", 2, "custom_id", JsonlCodes.DuplicateCustomId },
        { "missing body", """{"custom_id":"a"}""" + "\n", 1, "body", JsonlCodes.MissingBody },
        { "string body", """{"custom_id":"a","body":"hello"}""" + "\n", 1, "body", JsonlCodes.InvalidField },
        { "missing messages", """{"custom_id":"a","body":{"model":"mistral-small-latest"}}""" + "\n", 1, "body.messages", JsonlCodes.MissingField },
        { "empty messages", """{"custom_id":"a","body":{"messages":[]}}""" + "\n", 1, "body.messages", JsonlCodes.InvalidField },
        { "message not object", """{"custom_id":"a","body":{"messages":["hi"]}}""" + "\n", 1, "body.messages[0]", JsonlCodes.InvalidField },
        { "message without role", """{"custom_id":"a","body":{"messages":[{"role":"user","content":"x"},{"content":"y"}]}}""" + "\n", 1, "body.messages[1].role", JsonlCodes.MissingField },
        { "message without content", """{"custom_id":"a","body":{"messages":[{"role":"user"}]}}""" + "\n", 1, "body.messages[0].content", JsonlCodes.MissingField },
        { "numeric content", """{"custom_id":"a","body":{"messages":[{"role":"user","content":5}]}}""" + "\n", 1, "body.messages[0].content", JsonlCodes.InvalidField },
        { "empty file", "", 0, null, JsonlCodes.EmptyFile },
        { "only blank lines", "\n  \n\r\n", 0, null, JsonlCodes.EmptyFile },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task ValidateAsync_BadInput_ReportsTheExactLineFieldAndCode(string name, string content, long line, string? field, string code)
    {
        var report = await ValidateAsync(content, Chat);

        Assert.False(report.IsValid, name);
        var error = Assert.Single(report.Errors);
        Assert.Equal((line, field, code), (error.Line, error.Field, error.Code));
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
    }

    [Fact]
    public async Task ValidateAsync_ManyBatchesChecked_ReportsInInputOrderAsOnePassWould()
    {
        // About 3 MB: checked as several batches (1 MiB each) at once, taken back in order.
        var lines = Enumerable.Range(1, 30_000).Select(i => "{\"custom_id\":\"r" + i + "\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"question " + i + "\"}]}}\n").ToArray();
        lines[4] = "not json\n";
        lines[12_344] = "{\"custom_id\":\"r10\",\"body\":{}}\n";
        lines[19_999] = lines[19_999].Replace("\n", "\r\n", StringComparison.Ordinal);
        lines[24_999] = lines[24_999].Replace("\n", "\r\n", StringComparison.Ordinal);
        lines[22_221] = "{\"custom_id\":\"long\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('w', 600_000) + "\"}]}}\n";
        var hashes = new MemoryStream();
        var planner = new JsonlPartPlanner(new JsonlSplitOptions(), hashes);

        var report = await JsonlValidator.ValidateAsync(new MemoryStream(Encoding.UTF8.GetBytes(string.Concat(lines))), Chat with { MaxRequests = 29_999 }, planner);

        Assert.Equal(
            [(5L, JsonlCodes.InvalidJson), (12_345L, JsonlCodes.DuplicateCustomId), (12_345L, JsonlCodes.MissingField), (30_000L, JsonlCodes.TooManyRequests)],
            report.Errors.Select(e => (e.Line, e.Code)));
        Assert.Contains("'r10'", report.Errors[1].Message, StringComparison.Ordinal);
        Assert.Equal((30_000L, 4L), (report.Requests, report.ErrorCount));
        Assert.Equal([20_000L], report.Warnings.Where(w => w.Code == JsonlCodes.CrlfLineEndings).Select(w => w.Line));
        await planner.CompleteAsync(CancellationToken.None);
        Assert.Equal(30_000 * 8, hashes.Length);
        Assert.Equal(CustomIdSet.Hash("r10"u8), BitConverter.ToUInt64(hashes.ToArray(), 12_344 * 8));
    }

    [Fact]
    public async Task ValidateAsync_MoreErrorsThanKeptAcrossBatches_KeepsTheFirstInLineOrder()
    {
        var lines = Enumerable.Range(1, 20_000).Select(i => i % 1_000 == 0 ? "[" + i + "]\n" : "{\"custom_id\":\"r" + i + "\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}}\n");

        var report = await JsonlValidator.ValidateAsync(new MemoryStream(Encoding.UTF8.GetBytes(string.Concat(lines))), Chat with { MaxIssues = 3 });

        Assert.Equal([1_000L, 2_000L, 3_000L], report.Errors.Select(e => e.Line));
        Assert.Equal(20, report.ErrorCount);
    }

    [Fact]
    public async Task ValidateAsync_InvalidUtf8_ReportsTheLine()
    {
        var bytes = Encoding.UTF8.GetBytes(Good + "\n").Concat(new byte[] { (byte)'{', 0xC3, 0x28, (byte)'}', (byte)'\n' }).ToArray();

        var report = await JsonlValidator.ValidateAsync(new MemoryStream(bytes), Chat);

        var error = Assert.Single(report.Errors);
        Assert.Equal((2L, JsonlCodes.InvalidUtf8), (error.Line, error.Code));
    }

    [Fact]
    public async Task ValidateAsync_LineOverTheLimit_ReportsItAndGoesOn()
    {
        var longLine = "{\"custom_id\":\"long\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('x', 300_000) + "\"}]}}";
        var content = Good + "\n" + longLine + "\n" + Good.Replace("\"a\"", "\"c\"", StringComparison.Ordinal) + "\n[]\n";

        var report = await ValidateAsync(content, Chat with { MaxLineBytes = 100_000 });

        Assert.Equal([(2L, JsonlCodes.LineTooLong), (4L, JsonlCodes.NotAnObject)], report.Errors.Select(e => (e.Line, e.Code)));
        Assert.Equal(4, report.Requests);
        Assert.Equal(Encoding.UTF8.GetByteCount(content), report.Bytes);
    }

    [Fact]
    public async Task ValidateAsync_ManyErrors_KeepsTheFirstAndCountsAll()
    {
        var content = string.Concat(Enumerable.Range(0, 250).Select(i => $"{{\"custom_id\":\"x{i}\"}}\n"));

        var report = await ValidateAsync(content, Chat with { MaxIssues = 10 });

        Assert.Equal(250, report.ErrorCount);
        Assert.Equal(10, report.Errors.Count);
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (long)i), report.Errors.Select(e => e.Line));
    }

    [Fact]
    public async Task ValidateAsync_MoreRequestsThanTheLimit_ReportsTheFirstLineBeyondIt()
    {
        var content = string.Concat(Enumerable.Range(0, 5).Select(i => Good.Replace("\"a\"", $"\"r{i}\"", StringComparison.Ordinal) + "\n"));

        var report = await ValidateAsync(content, Chat with { MaxRequests = 3 });

        var error = Assert.Single(report.Errors);
        Assert.Equal((4L, JsonlCodes.TooManyRequests), (error.Line, error.Code));
    }

    [Fact]
    public async Task ValidateAsync_CosmeticProblems_AreWarningsNotErrors()
    {
        var content = "\uFEFF" + Good + "\r\n\r\n"
            + """{"custom_id":"b","method":"POST","url":"/v1/chat/completions","body":{"model":"mistral-large-latest","messages":[{"role":"user","content":"x"}]}}""" + "\n"
            + """{"custom_id":"c","extra":1,"body":{"messages":[{"role":"assistant","content":null,"tool_calls":[]}]}}""";

        var report = await ValidateAsync(content, Chat);

        Assert.True(report.IsValid, string.Join("; ", report.Errors));
        Assert.Equal(3, report.Requests);
        Assert.Equal(
            [
                (1L, JsonlCodes.ByteOrderMark), (1L, JsonlCodes.CrlfLineEndings), (2L, JsonlCodes.BlankLine),
                (3L, JsonlCodes.OpenAiKeys), (3L, JsonlCodes.OpenAiKeys), (3L, JsonlCodes.ModelConflict),
                (4L, JsonlCodes.UnknownField), (4L, JsonlCodes.MissingFinalNewline),
            ],
            report.Warnings.Select(w => (w.Line, w.Code)));
    }

    [Theory]
    [InlineData("/v1/embeddings", """{"input":"text"}""", """{"text":"x"}""", "body.input")]
    [InlineData("/v1/moderations", """{"input":["a","b"]}""", """{"input":5}""", "body.input")]
    [InlineData("/v1/fim/completions", """{"prompt":"def f(","suffix":"return"}""", """{"prompt":["x"]}""", "body.prompt")]
    [InlineData("/v1/ocr", """{"document":{"type":"document_url","document_url":"https://x"}}""", """{"document":"x"}""", "body.document")]
    [InlineData("/v1/classifications", """{"input":"x"}""", """{}""", "body.input")]
    [InlineData("/v1/chat/moderations", """{"input":[{"role":"user","content":"hi"}]}""", """{"messages":[{"role":"user","content":"hi"}]}""", "body.input")]
    [InlineData("/v1/chat/moderations", """{"input":[[{"role":"user","content":"a"}],[{"role":"user","content":"b"}]]}""", """{"input":"hi"}""", "body.input")]
    [InlineData("/v1/chat/classifications", """{"input":{"messages":[{"role":"user","content":"hi"}]}}""", """{"messages":[{"role":"user","content":"hi"}]}""", "body.input")]
    [InlineData("/v1/chat/classifications", """{"input":[{"messages":[{"role":"user","content":"hi"}]}]}""", """{"input":"hi"}""", "body.input")]
    public async Task ValidateAsync_EndpointChecks_AcceptTheRightShapeAndRejectTheWrong(string endpoint, string goodBody, string badBody, string field)
    {
        var options = new JsonlValidationOptions { Endpoint = ApiEndpoint.FromValue(endpoint) };

        var good = await ValidateAsync($$"""{"custom_id":"1","body":{{goodBody}}}""" + "\n", options);
        var bad = await ValidateAsync($$"""{"custom_id":"1","body":{{badBody}}}""" + "\n", options);

        Assert.True(good.IsValid, string.Join("; ", good.Errors));
        Assert.Equal(field, Assert.Single(bad.Errors).Field);
    }

    [Fact]
    public async Task ValidateAsync_ValidFile_CountsLinesRequestsAndBytes()
    {
        var content = string.Concat(Enumerable.Range(0, 1000).Select(i => Good.Replace("\"a\"", $"\"id-{i}\"", StringComparison.Ordinal) + "\n"));

        var report = await JsonlValidator.ValidateAsync(new ForwardOnly(Encoding.UTF8.GetBytes(content)), Chat);

        Assert.True(report.IsValid);
        Assert.Equal((1000L, 1000L, (long)Encoding.UTF8.GetByteCount(content)), (report.Requests, report.Lines, report.Bytes));
        Assert.Empty(report.Warnings);
    }

    [Fact]
    public async Task ValidateAsync_LinesAcrossReadBuffersAndLongerThanThem_ReportsEachAtItsLineWhateverTheReads()
    {
        const int Max = 1_200_000;
        static string Request(string id, int length)
        {
            var bare = Good.Replace("\"a\"", $"\"{id}\"", StringComparison.Ordinal);
            return bare.Replace("\"hi\"", "\"" + new string('h', length - bare.Length + 2) + "\"", StringComparison.Ordinal);
        }

        var lines = new List<string>();
        lines.AddRange(Enumerable.Range(0, 20_000).Select(i => Request("g" + i, 80)));
        var overBuffer = lines.Count + 1;
        lines.Add(Request("over-the-buffer", 3 * 1024 * 1024));
        var justOver = lines.Count + 1;
        lines.Add(Request("just-over", Max + 1));
        lines.Add(Request("at-the-limit", Max));
        var blank = lines.Count + 1;
        lines.Add("  ");
        var crlf = lines.Count + 1;
        lines.Add(Request("crlf", 100) + "\r");
        lines.AddRange(Enumerable.Range(0, 5_000).Select(i => Request("h" + i, 90)));
        var twice = lines.Count + 1;
        lines.Add(Request("twice-1", 2_500_000));
        lines.Add(Request("twice-2", 2_600_000));
        lines.Add("[]");
        var content = Encoding.UTF8.GetBytes(string.Join("\n", lines));
        var options = Chat with { MaxLineBytes = Max };

        var whole = await JsonlValidator.ValidateAsync(new MemoryStream(content), options);
        var trickled = await JsonlValidator.ValidateAsync(new ForwardOnly(content, 4093), options);

        foreach (var report in new[] { whole, trickled })
        {
            Assert.Equal(
                [(overBuffer, JsonlCodes.LineTooLong), (justOver, JsonlCodes.LineTooLong), (twice, JsonlCodes.LineTooLong), (twice + 1, JsonlCodes.LineTooLong), (lines.Count, JsonlCodes.NotAnObject)],
                report.Errors.Select(e => ((int)e.Line, e.Code)));
            Assert.Contains($"{3 * 1024 * 1024 + 1} bytes", report.Errors[0].Message, StringComparison.Ordinal);
            Assert.Contains($"{Max + 2} bytes", report.Errors[1].Message, StringComparison.Ordinal);
            Assert.Equal(
                [(blank, JsonlCodes.BlankLine), (crlf, JsonlCodes.CrlfLineEndings), (lines.Count, JsonlCodes.MissingFinalNewline)],
                report.Warnings.Select(w => ((int)w.Line, w.Code)));
            Assert.Equal((lines.Count - 1L, (long)lines.Count, (long)content.Length), (report.Requests, report.Lines, report.Bytes));
        }
    }

    private static Task<JsonlValidationReport> ValidateAsync(string content, JsonlValidationOptions options) =>
        JsonlValidator.ValidateAsync(new MemoryStream(Encoding.UTF8.GetBytes(content)), options);

    /// <summary>Hands out a few bytes per read, so lines straddle every buffer boundary.</summary>
    private sealed class ForwardOnly(byte[] bytes, int bytesPerRead = 37) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = Math.Min(Math.Min(count, bytesPerRead), bytes.Length - _position);
            Array.Copy(bytes, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
