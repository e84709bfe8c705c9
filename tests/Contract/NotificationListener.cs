using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace BatchFunctions.Tests.Contract;

/// <summary>One POST a listener received: its path, headers (case-insensitive) and exact body bytes.</summary>
public sealed record Delivery(string Path, IReadOnlyDictionary<string, string> Headers, byte[] Body);

/// <summary>
/// A real HTTP listener on a free loopback port standing in for a webhook receiver or an Event Grid topic
/// (whose wire format is an HTTP POST; there is no Event Grid emulator): it records each POST, after refusing
/// the first <c>failFirst</c> with <c>failure</c>.
/// </summary>
public sealed class NotificationListener : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _attempts;

    private NotificationListener(WebApplication app) => _app = app;

    public ConcurrentQueue<Delivery> Received { get; } = new();

    public int Attempts => _attempts;

    public static async Task<NotificationListener> StartAsync(int failFirst = 0, int failure = 503)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var listener = new NotificationListener(app);
        app.MapPost("/{**path}", async (HttpRequest request) =>
        {
            if (Interlocked.Increment(ref listener._attempts) <= failFirst)
            {
                return Results.StatusCode(failure);
            }

            using var body = new MemoryStream();
            await request.Body.CopyToAsync(body);
            listener.Received.Enqueue(new Delivery(request.Path, request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body.ToArray()));
            return Results.Ok();
        });
        await app.StartAsync();
        return listener;
    }

    /// <summary>The received POSTs to <paramref name="path"/>.</summary>
    public List<Delivery> To(string path) => [.. Received.Where(d => d.Path == path)];

    public Uri Url(string pathAndQuery) => new(_app.Urls.First() + pathAndQuery);

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    /// <summary>What a receiver does with a Standard Webhooks delivery, written from the specification, not from the sender's code.</summary>
    public static bool VerifyStandardWebhook(string secret, IReadOnlyDictionary<string, string> headers, byte[] body)
    {
        ArgumentNullException.ThrowIfNull(secret);
        ArgumentNullException.ThrowIfNull(headers);
        if (!headers.TryGetValue("webhook-signature", out var signatures))
        {
            return false;
        }

        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        var signed = Encoding.UTF8.GetBytes($"{headers["webhook-id"]}.{headers["webhook-timestamp"]}.").Concat(body).ToArray();
        var expected = Encoding.ASCII.GetBytes(Convert.ToBase64String(HMACSHA256.HashData(key, signed)));
        return signatures.Split(' ').Any(s => s.StartsWith("v1,", StringComparison.Ordinal) && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(s[3..]), expected));
    }
}
