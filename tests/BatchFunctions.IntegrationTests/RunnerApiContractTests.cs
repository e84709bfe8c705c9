namespace BatchFunctions.IntegrationTests;

/// <summary>The shared HTTP contract against <c>batchfn serve</c> as a real process.</summary>
[Collection(AzuriteTests.Name)]
public sealed class RunnerApiContractTests(AzuriteFixture azurite) : BatchApiContractTests
{
    protected override async Task<IContractHost> StartHostAsync()
    {
        var host = await RunnerTestHost.StartAsync(azurite);
        var runner = await host.StartRunnerAsync(null, "--no-watch", "--no-queue");
        return new RunnerContractHost(host, runner);
    }

    private sealed class RunnerContractHost(RunnerTestHost host, RunnerProcess runner) : IContractHost
    {
        public Core.Storage.BatchStorage Storage => host.Storage;

        public HttpClient EmulatorAdmin => host.Admin;

        public async Task<ApiAnswer> SendAsync(string method, string path, string? contentType = null, byte[]? body = null, IReadOnlyDictionary<string, string>? headers = null)
        {
            using var message = new HttpRequestMessage(new HttpMethod(method), new Uri(path, UriKind.Relative));
            if (body is not null)
            {
                message.Content = new ByteArrayContent(body);
                message.Content.Headers.ContentType = new(contentType ?? "application/json");
            }

            foreach (var (name, value) in headers ?? new Dictionary<string, string>())
            {
                message.Headers.Add(name, value);
            }

            using var response = await runner.Http.SendAsync(message);
            return new ApiAnswer((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync(), response.Headers.Location?.ToString());
        }

        public ValueTask DisposeAsync() => host.DisposeAsync();
    }
}
