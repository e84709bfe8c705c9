using BatchFunctions.Runner;

namespace BatchFunctions.Core.Tests.Runner;

public sealed class RunnerOptionsValidatorTests
{
    private readonly RunnerOptionsValidator _validator = new();

    [Theory]
    [InlineData("http://127.0.0.1:7071")]
    [InlineData("http://localhost:7071")]
    [InlineData("http://[::1]:7071")]
    [InlineData("http://127.0.0.1:0;http://[::1]:0")]
    public void Validate_LoopbackWithoutKey_Succeeds(string urls) =>
        Assert.True(_validator.Validate(null, new RunnerOptions { Urls = urls }).Succeeded);

    [Theory]
    [InlineData("http://0.0.0.0:7071")]
    [InlineData("http://127.0.0.1:7071;http://10.1.2.3:7071")]
    [InlineData("http://*:7071")]
    [InlineData("http://loopback:7071")]
    [InlineData("http://my-host:7071")]
    public void Validate_BeyondLoopbackWithoutKey_FailsNamingTheKeySetting(string urls)
    {
        var result = _validator.Validate(null, new RunnerOptions { Urls = urls });

        Assert.True(result.Failed);
        Assert.Contains("Runner:ApiKey", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BeyondLoopbackWithKey_Succeeds() =>
        Assert.True(_validator.Validate(null, new RunnerOptions { Urls = "http://0.0.0.0:7071", ApiKey = "k" }).Succeeded);

    [Theory]
    [InlineData(14)]
    [InlineData(61)]
    public void Validate_LeaseOutsideBlobStorageRange_Fails(int seconds)
    {
        var result = _validator.Validate(null, new RunnerOptions { LeaseDuration = TimeSpan.FromSeconds(seconds) });

        Assert.Contains("Runner:LeaseDuration", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ZeroScanInterval_FailsNamingIt() =>
        Assert.Contains("Runner:ScanInterval", _validator.Validate(null, new RunnerOptions { ScanInterval = TimeSpan.Zero }).FailureMessage, StringComparison.Ordinal);
}
