namespace BatchFunctions.FunctionApp.Tests;

/// <summary>The shared HTTP contract against the Function App's HTTP functions on the Durable test host.</summary>
[Collection(AzuriteTests.Name)]
public sealed class FunctionAppApiContractTests(AzuriteFixture azurite) : BatchApiContractTests
{
    protected override async Task<IContractHost> StartHostAsync() => new FunctionAppContractHost(await FunctionAppTestHost.StartAsync(azurite));

    private sealed class FunctionAppContractHost(FunctionAppTestHost host, bool owned = true) : IContractHost
    {
        public Core.Storage.BatchStorage Storage => host.Storage;

        public HttpClient EmulatorAdmin => host.Admin;

        public async Task<ApiAnswer> SendAsync(string method, string path, string? contentType = null, byte[]? body = null, IReadOnlyDictionary<string, string>? headers = null)
        {
            var answer = await HttpFunctions.SendAsync(host, method, path, contentType, body, headers);
            var mediaType = answer.ContentType is { } type ? new System.Net.Mime.ContentType(type).MediaType : null;
            return new ApiAnswer(answer.StatusCode, mediaType, answer.Body, answer.Location is { Length: > 0 } location ? location : null);
        }

        public async Task<ApiAnswer> SendRawAsync(RawRequest request)
        {
            ArgumentNullException.ThrowIfNull(request);
            var answer = await HttpFunctions.SendAsync(
                host,
                request.Method,
                request.Path,
                request.Headers.Where(h => h.Name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase)).Select(h => h.Value).FirstOrDefault(),
                null,
                headerLines: [.. request.Headers.Where(h => !h.Name.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))],
                body: request.BodyAsTheServerReadsIt());
            var mediaType = answer.ContentType is { } type ? new System.Net.Mime.ContentType(type).MediaType : null;
            return new ApiAnswer(answer.StatusCode, mediaType, answer.Body, answer.Location is { Length: > 0 } location ? location : null);
        }

        // Function App instances share the task hub and the storage account; their functions hold no state of
        // their own, so a peer is the same functions invoked again.
        public Task<IContractHost> StartPeerAsync() => Task.FromResult<IContractHost>(new FunctionAppContractHost(host, owned: false));

        public ValueTask DisposeAsync() => owned ? host.DisposeAsync() : ValueTask.CompletedTask;
    }
}
