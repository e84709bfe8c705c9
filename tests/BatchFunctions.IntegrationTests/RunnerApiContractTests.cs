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

    /// <summary>Another runner process on the host's storage: disposing it leaves the host to its owner.</summary>
    private sealed class Peer(IContractHost owner, IContractHost runner) : IContractHost
    {
        public Core.Storage.BatchStorage Storage => owner.Storage;

        public HttpClient EmulatorAdmin => owner.EmulatorAdmin;

        public Task<ApiAnswer> SendAsync(string method, string path, string? contentType = null, byte[]? body = null, IReadOnlyDictionary<string, string>? headers = null) => runner.SendAsync(method, path, contentType, body, headers);

        public Task<ApiAnswer> SendRawAsync(RawRequest request) => runner.SendRawAsync(request);

        public Task<IContractHost> StartPeerAsync() => owner.StartPeerAsync();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
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

        public Task<ApiAnswer> SendRawAsync(RawRequest request) => request.SendAsync(runner.Address);

        public async Task<IContractHost> StartPeerAsync() => new Peer(this, new RunnerContractHost(host, await host.StartRunnerAsync(null, "--no-watch", "--no-queue")));

        public ValueTask DisposeAsync() => host.DisposeAsync();
    }
}
