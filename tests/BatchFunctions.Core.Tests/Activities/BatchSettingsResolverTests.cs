using BatchFunctions.Core.Settings;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Tests.Activities;

public sealed class BatchSettingsResolverTests
{
    private readonly BatchDefaultsOptions _defaults = new();

    [Fact]
    public void Resolve_NoMetadata_UsesTheDefaults()
    {
        var (settings, errors) = BatchSettingsResolver.Resolve(new Dictionary<string, string>(), _defaults);

        Assert.Empty(errors);
        Assert.Equal(("/v1/chat/completions", "mistral-small-latest", 24), (settings!.Endpoint, settings.Model, settings.TimeoutHours));
        Assert.Empty(settings.Metadata);
    }

    [Fact]
    public void Resolve_BlobMetadata_OverridesDefaultsAndCopiesJobMetadata()
    {
        var (settings, errors) = BatchSettingsResolver.Resolve(
            new Dictionary<string, string> { ["Model"] = "mistral-embed", ["endpoint"] = "/v1/embeddings", ["timeout_hours"] = "48", ["metadata_Team"] = "data" },
            _defaults);

        Assert.Empty(errors);
        Assert.Equal(("/v1/embeddings", "mistral-embed", 48), (settings!.Endpoint, settings.Model, settings.TimeoutHours));
        Assert.Equal("data", settings.Metadata["team"]);
    }

    [Theory]
    [InlineData(null, BatchPriority.Normal)]
    [InlineData("HIGH", BatchPriority.High)]
    [InlineData("low", BatchPriority.Low)]
    public void Resolve_PriorityInTheBlobMetadata_ReadsItAndToBlobMetadataWritesIt(string? given, BatchPriority expected)
    {
        var metadata = given is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["priority"] = given };

        var (settings, errors) = BatchSettingsResolver.Resolve(metadata, _defaults);
        var written = BatchSettingsResolver.ToBlobMetadata(null, null, null, null, settings!.Priority);

        Assert.Empty(errors);
        Assert.Equal(expected, settings.Priority);
        Assert.Equal(expected, BatchSettingsResolver.Resolve(written, _defaults).Settings!.Priority);
    }

    [Theory]
    [InlineData("endpoint", "/v1/nope", "endpoint")]
    [InlineData("timeout_hours", "0", "timeout_hours")]
    [InlineData("timeout_hours", "169", "timeout_hours")]
    [InlineData("timeout_hours", "two", "timeout_hours")]
    [InlineData("metadata_batchfn_part", "1", "reserved")]
    [InlineData("priority", "urgent", "'priority' is 'urgent'; it must be high, normal or low")]
    [InlineData("metadata_abcdefghijklmnopqrstuvwxyz0123456789", "x", "1 to 32")]
    public void Resolve_InvalidMetadata_ExplainsWhichEntryAndWhy(string key, string value, string expected)
    {
        var (settings, errors) = BatchSettingsResolver.Resolve(new Dictionary<string, string> { [key] = value }, _defaults);

        Assert.Null(settings);
        Assert.Contains(expected, Assert.Single(errors), StringComparison.Ordinal);
    }
}
