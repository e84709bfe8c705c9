using BatchFunctions.Core.Mistral;

namespace BatchFunctions.Core.Tests.Mistral;

/// <summary>Every error body shape of the contract's section 8.</summary>
public sealed class MistralErrorParserTests
{
    [Fact]
    public void Parse_UnauthorizedWithRequestId_ReadsMessageAndRequestId()
    {
        var error = MistralErrorParser.Parse("""{"message":"Unauthorized","request_id":"0123456789abcdef0123456789abcdef"}""");

        Assert.Equal("Unauthorized", error.Message);
        Assert.Equal("0123456789abcdef0123456789abcdef", error.RequestId);
    }

    [Fact]
    public void Parse_DetailString_ReadsDetailAsMessage()
    {
        var error = MistralErrorParser.Parse("""{"detail":"Unauthorized"}""");

        Assert.Equal("Unauthorized", error.Message);
        Assert.Null(error.Type);
    }

    [Fact]
    public void Parse_FastApiValidation_JoinsLocationsAndMessagesWithoutInput()
    {
        var error = MistralErrorParser.Parse("""{"detail":[{"type":"extra_forbidden","loc":["body","store"],"msg":"Extra inputs are not permitted","input":"secret prompt"},{"type":"missing","loc":["body","requests",3,"body"],"msg":"Field required"}]}""");

        Assert.Equal("body.store: Extra inputs are not permitted; body.requests.3.body: Field required", error.Message);
        Assert.Equal("extra_forbidden", error.Type);
        Assert.DoesNotContain("secret prompt", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_WrappedValidation_ReadsTheNestedDetail()
    {
        var error = MistralErrorParser.Parse("""{"object":"error","message":{"detail":[{"type":"extra_forbidden","loc":["body","store"],"msg":"Extra inputs are not permitted","input":false}]},"type":"invalid_request_error","param":null,"code":null}""");

        Assert.Equal("body.store: Extra inputs are not permitted", error.Message);
        Assert.Equal("invalid_request_error", error.Type);
        Assert.Null(error.Code);
    }

    [Fact]
    public void Parse_FileFormatError_IncludesDescriptionAndLineNumbers()
    {
        var error = MistralErrorParser.Parse("""{"detail":"Invalid file format.","description":"Found 2 errors in the file.","errors":[{"message":"Missing messages","line_number":1},{"message":"Bad role","line_number":7}]}""");

        Assert.Equal("Invalid file format. Found 2 errors in the file. [line 1: Missing messages] [line 7: Bad role]", error.Message);
    }

    [Fact]
    public void Parse_DecodeError_ReadsDetail()
    {
        var error = MistralErrorParser.Parse("""{"detail":"Failed to decode data, please encode your file using UTF-8."}""");

        Assert.Equal("Failed to decode data, please encode your file using UTF-8.", error.Message);
    }

    [Fact]
    public void Parse_RateLimitOldShape_ReadsMessage()
    {
        var error = MistralErrorParser.Parse("""{"message":"Requests rate limit exceeded"}""");

        Assert.Equal("Requests rate limit exceeded", error.Message);
    }

    [Fact]
    public void Parse_GenericShapeWithNumericCode_ReadsTypeAndCode()
    {
        var stringCode = MistralErrorParser.Parse("""{"object":"error","message":"Rate limit exceeded","type":"rate_limited","param":null,"code":"1300","raw_status_code":429}""");
        var numberCode = MistralErrorParser.Parse("""{"object":"error","message":"Invalid model: x","type":"model_not_found","param":null,"code":3040}""");

        Assert.Equal(("Rate limit exceeded", "rate_limited", "1300"), (stringCode.Message, stringCode.Type, stringCode.Code));
        Assert.Equal(("Invalid model: x", "model_not_found", "3040"), (numberCode.Message, numberCode.Type, numberCode.Code));
    }

    [Fact]
    public void Parse_DetailObjectWithMsg_ReadsMsg()
    {
        var error = MistralErrorParser.Parse("""{"detail":{"msg":"Job not found"}}""");

        Assert.Equal("Job not found", error.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("<html><body>Bad gateway</body></html>")]
    [InlineData("[1,2]")]
    [InlineData("{\"unexpected\":true}")]
    public void Parse_UnknownShapes_GiveNoMessage(string body)
    {
        var error = MistralErrorParser.Parse(body);

        Assert.Null(error.Message);
    }

    [Fact]
    public async Task ReadAsync_PlainTextBody_UsesTheTextAndGatewayRequestId()
    {
        using var response = new HttpResponseMessage(System.Net.HttpStatusCode.BadGateway) { Content = new StringContent("upstream timed out") };
        response.Headers.Add("x-kong-request-id", "abc123");

        var error = await MistralErrorParser.ReadAsync(response, "get batch job", TimeProvider.System, CancellationToken.None);

        Assert.Equal(502, error.Status);
        Assert.Equal("Mistral get batch job failed with 502: upstream timed out", error.Message);
        Assert.Equal("abc123", error.RequestId);
        Assert.True(error.IsTransient);
    }
}
