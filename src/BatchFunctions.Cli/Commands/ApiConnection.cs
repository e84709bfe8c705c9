using System.CommandLine;
using System.Net;
using BatchFunctions.Core.Api;

namespace BatchFunctions.Cli.Commands;

/// <summary>
/// <c>--url</c> and <c>--key</c> of the commands that talk to a host (a runner from <c>batchfn serve</c>, or a
/// Function App with its function key), and their error handling.
/// </summary>
internal sealed class ApiConnection
{
    public const string DefaultUrl = "http://127.0.0.1:7071";

    public Option<string?> Url { get; } = new("--url") { Description = $"The host's address (default: BATCHFN_URL, else {DefaultUrl})." };

    public Option<string?> Key { get; } = new("--key") { Description = "The API or function key (default: BATCHFN_KEY)." };

    public void AddTo(Command command)
    {
        command.Options.Add(Url);
        command.Options.Add(Key);
    }

    /// <summary>Runs <paramref name="action"/> with a client of the host, turning what can go wrong into a message and exit code 1.</summary>
    public async Task<int> RunAsync(ParseResult parse, TextWriter error, Func<BatchApiClient, Uri, Task<int>> action)
    {
        var text = parse.GetValue(Url) ?? Environment.GetEnvironmentVariable("BATCHFN_URL") ?? DefaultUrl;
        if (!Uri.TryCreate(text.EndsWith('/') ? text : text + "/", UriKind.Absolute, out var baseAddress) || baseAddress.Scheme is not ("http" or "https"))
        {
            await error.WriteLineAsync($"--url must be an http(s) address, not '{text}'.");
            return BatchFnApp.UsageError;
        }

        using var http = new HttpClient { BaseAddress = baseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var client = new BatchApiClient(http, parse.GetValue(Key) ?? Environment.GetEnvironmentVariable("BATCHFN_KEY"));
        try
        {
            return await action(client, baseAddress);
        }
        catch (HttpRequestException exception) when (exception.StatusCode is null)
        {
            await error.WriteLineAsync($"Cannot reach {baseAddress}: start a runner with 'batchfn serve', or give --url (or BATCHFN_URL).");
            return BatchFnApp.Failure;
        }
        catch (BatchApiException exception) when (exception.Status == HttpStatusCode.Unauthorized)
        {
            await error.WriteLineAsync($"{baseAddress} wants a key: give --key (or BATCHFN_KEY); for a Function App, its function key.");
            return BatchFnApp.Failure;
        }
        catch (BatchApiException exception)
        {
            await error.WriteLineAsync(exception.Message);
            return BatchFnApp.Failure;
        }
    }
}
