using System.Globalization;

namespace BatchFunctions.Core.Tests.Mistral;

public sealed class MistralRequestBudgetTests
{
    [Fact]
    public async Task ListFiles_ManyCallsAtOnceWithABudget_ReachMistralNoFasterThanTheBudget()
    {
        // 4 a second, without a burst: of twelve calls sent at once, all but the first wait for a token that comes
        // every 250 ms, so they reach Mistral over eleven periods (2.75 s; 1.5 s allows for timer and connection jitter).
        await using var host = await MistralTestHost.StartAsync(clientSettings: new Dictionary<string, string?> { ["Mistral:MaxRequestsPerSecond"] = "4" });
        await host.ClearCallsAsync();

        await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => host.Client.ListFilesAsync()));

        var starts = (await host.GetCallsAsync()).Where(c => c.Path == "/v1/files").Select(c => c.StartedMilliseconds).Order().ToList();
        Assert.Equal(12, starts.Count);
        Assert.True(starts[^1] - starts[0] >= 1_500, $"twelve calls reached Mistral within {starts[^1] - starts[0]:0} ms: {string.Join(", ", starts.Select(s => s.ToString("0", CultureInfo.InvariantCulture)))}");
    }

    [Fact]
    public async Task ListFiles_BudgetMatchingTheWorkspacesRateLimit_IsNeverRefused()
    {
        // The emulator answers 429 past 5 calls a second (on the wall clock, as the budget runs); twenty calls at
        // once through a budget of 5 a second all go through without one.
        await using var host = await MistralTestHost.StartAsync(
            emulator: options => options.MaxApiRequestsPerSecond = 5,
            clientSettings: new Dictionary<string, string?> { ["Mistral:MaxRequestsPerSecond"] = "5" },
            emulatorOnWallClock: true);
        await host.ClearCallsAsync();

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => host.Client.ListFilesAsync()));

        var statuses = (await host.GetCallsAsync()).Where(c => c.Path == "/v1/files").Select(c => c.Status).ToList();
        Assert.Equal(20, statuses.Count);
        Assert.All(statuses, status => Assert.Equal(200, status));
    }
}
