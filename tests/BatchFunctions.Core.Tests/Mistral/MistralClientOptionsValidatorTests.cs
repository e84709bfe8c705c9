using BatchFunctions.Core.Mistral;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Tests.Mistral;

public sealed class MistralClientOptionsValidatorTests
{
    private readonly MistralClientOptionsValidator _validator = new();

    [Fact]
    public void Validate_RealApiWithKey_Succeeds()
    {
        var result = _validator.Validate(null, new MistralClientOptions { ApiKey = "k" });

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void Validate_PlainHttpOnLoopback_Succeeds()
    {
        var result = _validator.Validate(null, new MistralClientOptions { ApiKey = "k", BaseAddress = new Uri("http://127.0.0.1:5180") });

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void Validate_PlainHttpToARemoteHost_FailsToProtectTheKey()
    {
        var result = _validator.Validate(null, new MistralClientOptions { ApiKey = "k", BaseAddress = new Uri("http://api.example.com") });

        Assert.True(result.Failed);
        Assert.Contains("loopback", result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(" ")]
    [InlineData("has space")]
    public void Validate_MissingOrMalformedKey_Fails(string? key)
    {
        var result = _validator.Validate(null, new MistralClientOptions { ApiKey = key });

        Assert.True(result.Failed);
        Assert.Contains("ApiKey", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadNumbers_ListsEveryProblem()
    {
        var result = _validator.Validate(null, new MistralClientOptions
        {
            ApiKey = "k",
            RequestTimeout = TimeSpan.Zero,
            MaxRetryAttempts = 50,
            MaxInlineRequests = 0,
        });

        Assert.Equal(3, result.Failures!.Count());
    }

    [Fact]
    public void ToString_WithKey_NeverShowsIt()
    {
        var text = new MistralClientOptions { ApiKey = "super-secret" }.ToString();

        Assert.DoesNotContain("super-secret", text, StringComparison.Ordinal);
        Assert.Contains("(set)", text, StringComparison.Ordinal);
    }

    [Fact]
    public void AddBatchFunctionsCore_InvalidSettings_FailAtStartWithTheReason()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Mistral:BaseAddress"] = "http://remote.example.com" }).Build();
        using var services = new ServiceCollection().AddLogging().AddBatchFunctionsCore(configuration).BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IOptions<MistralClientOptions>>().Value);

        Assert.Contains("ApiKey is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddBatchFunctionsCore_EnvironmentStyleSettings_FillTheOptions()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["MISTRAL_API_KEY"] = "from-env",
            ["MISTRAL_BASE_URL"] = "http://127.0.0.1:5180",
        }).Build();
        using var services = new ServiceCollection().AddLogging().AddBatchFunctionsCore(configuration).BuildServiceProvider();

        var options = services.GetRequiredService<IOptions<MistralClientOptions>>().Value;

        Assert.Equal("from-env", options.ApiKey);
        Assert.Equal(new Uri("http://127.0.0.1:5180"), options.BaseAddress);
    }
}
