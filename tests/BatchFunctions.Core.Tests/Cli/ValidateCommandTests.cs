using System.Text.Json;
using BatchFunctions.Cli;

namespace BatchFunctions.Core.Tests.Cli;

public sealed class ValidateCommandTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("bf-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Validate_ValidFile_ExitsZeroAndSaysValid()
    {
        var path = Write("good.jsonl", """{"custom_id":"a","body":{"messages":[{"role":"user","content":"hi"}]}}""" + "\n");

        var (code, output, _) = await RunAsync("validate", path, "--endpoint", "/v1/chat/completions");

        Assert.Equal(0, code);
        Assert.StartsWith("good.jsonl: valid", output, StringComparison.Ordinal);
        Assert.Contains("1 requests", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_InvalidFile_ExitsOneAndNamesLineFieldAndCode()
    {
        var path = Write("bad.jsonl", """{"custom_id":"a","body":{"messages":[{"role":"user","content":"hi"}]}}""" + "\n" + """{"custom_id":"b","body":{}}""" + "\n");

        var (code, output, _) = await RunAsync("validate", path, "-e", "/v1/chat/completions");

        Assert.Equal(1, code);
        Assert.Contains("INVALID", output, StringComparison.Ordinal);
        Assert.Contains("bad.jsonl:2: error: missing_field: body.messages:", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ChatFileWithoutMessagesAndNoEndpoint_IsCheckedAsTheWorkflowsDefaultEndpoint()
    {
        var path = Write("nomessages.jsonl", """{"custom_id":"a","body":{"prompt":"hi"}}""" + "\n");

        var (code, output, _) = await RunAsync("validate", path);

        Assert.Equal(1, code);
        Assert.Contains("endpoint checks: /v1/chat/completions", output, StringComparison.Ordinal);
        Assert.Contains("nomessages.jsonl:1: error: missing_field", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_ErrorBeyondLineOneThousand_PrintsTheLineWithoutSeparators()
    {
        var line = """{"custom_id":"ID","body":{"messages":[{"role":"user","content":"hi"}]}}""";
        var path = Write("long.jsonl", string.Concat(Enumerable.Range(1, 1200).Select(i => line.Replace("ID", i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal) + "\n")) + "not json\n");

        var (_, output, _) = await RunAsync("validate", path);

        Assert.Contains("long.jsonl:1201: error: invalid_json", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_Json_PrintsTheReportAsJson()
    {
        var path = Write("bad.jsonl", "[]\n");

        var (code, output, _) = await RunAsync("validate", path, "--json");

        Assert.Equal(1, code);
        var report = JsonDocument.Parse(output).RootElement;
        Assert.False(report.GetProperty("is_valid").GetBoolean());
        var error = report.GetProperty("errors")[0];
        Assert.Equal(1, error.GetProperty("line").GetInt64());
        Assert.Equal("not_an_object", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Estimate_ValidFile_PrintsTokensAndTheCostAtBatchAndLivePrices()
    {
        // 40 bytes of text and one message each: 10 + 4 tokens; max_tokens 50 and 150.
        var text = new string('w', 40);
        var path = Write("priced.jsonl", $$$"""
            {"custom_id":"a","body":{"max_tokens":50,"messages":[{"role":"user","content":"{{{text}}}"}]}}
            {"custom_id":"b","body":{"max_tokens":150,"messages":[{"role":"user","content":[{"type":"text","text":"{{{text}}}"}]}]}}
            """ + "\n");

        var (code, output, _) = await RunAsync("estimate", path, "--model", "mistral-medium-latest", "--json");

        Assert.Equal(0, code);
        var estimate = JsonDocument.Parse(output).RootElement;
        // The parts array counts its strings: "text" (4 bytes) and the 40.
        Assert.Equal((84L, 2L, 200L, 0L), (estimate.GetProperty("prompt_text_bytes").GetInt64(), estimate.GetProperty("requests").GetInt64(), estimate.GetProperty("output_tokens_bound").GetInt64(), estimate.GetProperty("requests_without_max_tokens").GetInt64()));
        Assert.Equal(29, estimate.GetProperty("input_tokens").GetInt64());
        // mistral-medium-latest: 0.4 in, 2 out per million live; batch half. Low: 20 tokens in; high: 38 in and 200 out.
        Assert.Equal((0.000004m, 0.0002076m), (estimate.GetProperty("batch_cost").GetProperty("low").GetDecimal(), estimate.GetProperty("batch_cost").GetProperty("high").GetDecimal()));
        Assert.Equal(0.0004152m, estimate.GetProperty("live_cost").GetProperty("high").GetDecimal());

        var (_, text2, _) = await RunAsync("estimate", path, "--model", "mistral-medium-latest");
        Assert.Contains("2 requests for mistral-medium-latest", text2, StringComparison.Ordinal);
        Assert.Contains("cost (batch)   USD 0.000004 to 0.0002076", text2, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Estimate_UnpricedModelAndInvalidFile_SayWhyThereIsNoCost()
    {
        var good = Write("good.jsonl", "{\"custom_id\":\"a\",\"body\":{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}}\n");
        var bad = Write("bad.jsonl", "[]\n");

        var (code, output, _) = await RunAsync("estimate", good, "--model", "my-fine-tune", "--json");
        var (badCode, _, badError) = await RunAsync("estimate", bad);

        Assert.Equal(0, code);
        var estimate = JsonDocument.Parse(output).RootElement;
        Assert.Equal(JsonValueKind.Null, estimate.GetProperty("batch_cost").ValueKind);
        Assert.Contains("Pricing:Models:my-fine-tune:InputPerMillion", estimate.GetProperty("note").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, badCode);
        Assert.Contains("bad.jsonl:1: error: not_an_object", badError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Validate_JsonOfAValidFile_CarriesTheEstimate()
    {
        var path = Write("ok.jsonl", "{\"custom_id\":\"a\",\"body\":{\"max_tokens\":7,\"messages\":[{\"role\":\"user\",\"content\":\"12345678\"}]}}\n");

        var (code, output, _) = await RunAsync("validate", path, "--json");

        Assert.Equal(0, code);
        var report = JsonDocument.Parse(output).RootElement;
        Assert.Equal((8L, 1L, 7L), (report.GetProperty("prompt_text_bytes").GetInt64(), report.GetProperty("messages").GetInt64(), report.GetProperty("max_tokens").GetInt64()));
        Assert.Equal(("mistral-small-latest", 6L), (report.GetProperty("estimate").GetProperty("model").GetString(), report.GetProperty("estimate").GetProperty("input_tokens").GetInt64()));
    }

    [Theory]
    [InlineData("validate")]
    [InlineData("validate", "/no/such/file.jsonl")]
    [InlineData("validate", "FILE", "--endpoint", "/v1/unknown")]
    [InlineData("validate", "FILE", "--max-line-bytes", "zero")]
    [InlineData("estimate", "/no/such/file.jsonl")]
    [InlineData("estimate", "FILE", "--endpoint", "/v1/unknown")]
    [InlineData("frobnicate")]
    public async Task Validate_UsageErrors_ExitTwoWithAMessage(params string[] args)
    {
        var path = Write("any.jsonl", "{}\n");

        var (code, _, error) = await RunAsync([.. args.Select(a => a == "FILE" ? path : a)]);

        Assert.Equal(2, code);
        Assert.False(string.IsNullOrWhiteSpace(error));
    }

    [Theory]
    [InlineData("--endpoint", "/v1/nope", "--endpoint is '/v1/nope'")]
    [InlineData("--timeout-hours", "500", "--timeout-hours must be from 1 to 168")]
    [InlineData("--priority", "urgent", "--priority is 'urgent'; it must be high, normal or low")]
    public async Task Submit_BadSetting_IsRefusedBeforeAnythingIsSent(string option, string value, string message)
    {
        var path = Write("any.jsonl", "{}\n");

        // Port 9 (discard) answers nothing: a setting checked only by the host would fail with "Cannot reach".
        var (code, _, error) = await RunAsync("submit", path, option, value, "--url", "http://127.0.0.1:9");

        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllText(path, content);
        return path;
    }

    private static async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await BatchFnApp.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
