using System.Web;
using BatchFunctions.Core.Api;

namespace BatchFunctions.Core.Tests.Api;

public sealed class UploadQueryTests
{
    [Fact]
    public void Parse_WhatFormatWrote_GivesTheSameSettings()
    {
        var settings = new StartBatchRequest(Name: "in/a b.jsonl", Model: "mistral-small-latest", Endpoint: "/v1/chat/completions", TimeoutHours: 12, Metadata: new Dictionary<string, string> { ["team"] = "a&b", ["run"] = "x=y" });

        var parsed = UploadQuery.Parse(Reader(UploadQuery.Format(settings)));

        Assert.NotNull(parsed);
        Assert.Equal((settings.Name, settings.Model, settings.Endpoint, settings.TimeoutHours), (parsed.Name, parsed.Model, parsed.Endpoint, parsed.TimeoutHours));
        Assert.Equal(settings.Metadata!.OrderBy(p => p.Key), parsed.Metadata!.OrderBy(p => p.Key));
    }

    [Theory]
    [InlineData("timeout_hours=soon")]
    [InlineData("metadata=novalue")]
    [InlineData("metadata==x")]
    public void Parse_MalformedSetting_IsNull(string query) => Assert.Null(UploadQuery.Parse(Reader(query)));

    [Fact]
    public void Parse_NoQuery_GivesNoSettings()
    {
        var parsed = UploadQuery.Parse(Reader(string.Empty));

        Assert.Equal(new StartBatchRequest(), parsed);
    }

    [Theory]
    [InlineData("application/x-ndjson", true)]
    [InlineData("application/x-ndjson; charset=utf-8", true)]
    [InlineData("application/jsonl", true)]
    [InlineData("application/json", false)]
    [InlineData(null, false)]
    public void IsJsonl_ContentType_TellsAJsonlBody(string? contentType, bool expected) => Assert.Equal(expected, UploadQuery.IsJsonl(contentType));

    private static Func<string, IReadOnlyList<string?>> Reader(string query)
    {
        var values = HttpUtility.ParseQueryString(query);
        return name => values.GetValues(name) ?? [];
    }
}
