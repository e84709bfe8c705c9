using System.Globalization;

namespace BatchFunctions.Core.Tests.Mistral;

public sealed class MistralRequestBudgetTests
{
    [Fact]
    public async Task ListFiles_ManyCallsAtOnceWithABudget_ReachMistralNoFasterThanTheBudget()
    {
        // 4 a second, with a burst of 4: of twelve calls sent at once, the last eight each wait for a token
        // that comes every 250 ms, so they reach Mistral over at least seven periods (1.75 s; 1.5 s allows for
        // the first calls opening their connections).
        await using var host = await MistralTestHost.StartAsync(clientSettings: new Dictionary<string, string?> { ["Mistral:MaxRequestsPerSecond"] = "4" });
        await host.ClearCallsAsync();

        await Task.WhenAll(Enumerable.Range(0, 12).Select(_ => host.Client.ListFilesAsync()));

        var starts = (await host.GetCallsAsync()).Where(c => c.Path == "/v1/files").Select(c => c.StartedMilliseconds).Order().ToList();
        Assert.Equal(12, starts.Count);
        Assert.True(starts[^1] - starts[0] >= 1_500, $"twelve calls reached Mistral within {starts[^1] - starts[0]:0} ms: {string.Join(", ", starts.Select(s => s.ToString("0", CultureInfo.InvariantCulture)))}");
    }
}
