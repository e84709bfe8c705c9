namespace BatchFunctions.FunctionApp.Tests;

/// <summary>The shared HTTP contract against the Function App's HTTP functions on the Durable test host.</summary>
[Collection(AzuriteTests.Name)]
public sealed class FunctionAppApiContractTests(AzuriteFixture azurite) : BatchApiContractTests
{
    protected override async Task<IContractHost> StartHostAsync() => new FunctionAppContractHost(await FunctionAppTestHost.StartAsync(azurite));

    private sealed class FunctionAppContractHost(FunctionAppTestHost host) : IContractHost
    {
        public Core.Storage.BatchStorage Storage => host.Storage;

        public HttpClient EmulatorAdmin => host.Admin;

        public async Task<ApiAnswer> SendAsync(string method, string path, string? contentType = null, byte[]? body = null, IReadOnlyDictionary<string, string>? headers = null)
        {
            var answer = await HttpFunctions.SendAsync(host, method, path, contentType, body, headers);
            var mediaType = answer.ContentType is { } type ? new System.Net.Mime.ContentType(type).MediaType : null;
            return new ApiAnswer(answer.StatusCode, mediaType, answer.Body, answer.Location is { Length: > 0 } location ? location : null);
        }

        public ValueTask DisposeAsync() => host.DisposeAsync();
    }
}
