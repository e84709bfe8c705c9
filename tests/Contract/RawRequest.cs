using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace BatchFunctions.Tests.Contract;

/// <summary>How a raw request's body is broken on the wire.</summary>
public enum BodyFault
{
    /// <summary>A well-formed body with its Content-Length.</summary>
    None,

    /// <summary>Chunked, with a chunk size that is not hexadecimal.</summary>
    BadChunkSize,

    /// <summary>Fewer bytes than its Content-Length, then the client sends nothing more (and keeps the connection open).</summary>
    ShortOfContentLength,
}

/// <summary>
/// A request as HTTP/1.1 puts it on the wire, for what an HTTP client library will not send: a header given
/// twice, a broken chunk, a body shorter than its Content-Length.
/// </summary>
/// <param name="Method">The method.</param>
/// <param name="Path">Path and query, relative to the host's root.</param>
/// <param name="Headers">Header lines, in order; a name may repeat.</param>
/// <param name="Body">The body's bytes (what is sent of them).</param>
/// <param name="Fault">How the body is broken.</param>
public sealed record RawRequest(string Method, string Path, IReadOnlyList<(string Name, string Value)> Headers, byte[] Body, BodyFault Fault = BodyFault.None)
{
    /// <summary>Sends this request to <paramref name="address"/> over a socket of its own and reads the answer.</summary>
    public async Task<ApiAnswer> SendAsync(Uri address)
    {
        ArgumentNullException.ThrowIfNull(address);
        using var client = new TcpClient();
        await client.ConnectAsync(address.Host, address.Port);
        var stream = client.GetStream();
        var head = new StringBuilder($"{Method} /{Path} HTTP/1.1\r\nHost: {address.Authority}\r\nConnection: close\r\n");
        foreach (var (name, value) in Headers)
        {
            head.Append(name).Append(": ").Append(value).Append("\r\n");
        }

        head.Append(Fault switch
        {
            BodyFault.BadChunkSize => "Transfer-Encoding: chunked\r\n\r\nzz\r\n",
            BodyFault.ShortOfContentLength => $"Content-Length: {Body.Length + 100}\r\n\r\n",
            _ => $"Content-Length: {Body.Length}\r\n\r\n",
        });
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head.ToString()));
        await stream.WriteAsync(Body);
        if (Fault == BodyFault.BadChunkSize)
        {
            await stream.WriteAsync("\r\n0\r\n\r\n"u8.ToArray());
        }

        // For a short body the rest never comes, and the connection stays open: the server gives up on the
        // body when its minimum data rate is not kept (Kestrel: 240 bytes/s after a 5 s grace).
        await stream.FlushAsync();
        using var answer = new MemoryStream();
        await stream.CopyToAsync(answer);
        return Parse(answer.ToArray());
    }

    /// <summary>
    /// The body the Function App's code gets from the web server for this request: its bytes, then the
    /// exception Kestrel throws where the framing breaks (the Functions host's ASP.NET Core integration reads
    /// the request with Kestrel).
    /// </summary>
    public Stream BodyAsTheServerReadsIt() => Fault switch
    {
        BodyFault.BadChunkSize => new BreakingStream([], new BadHttpRequestException("Bad chunk size data.", StatusCodes.Status400BadRequest)),
        BodyFault.ShortOfContentLength => new BreakingStream(Body, new BadHttpRequestException("Reading the request body timed out due to data arriving too slowly. See MinRequestBodyDataRate.", StatusCodes.Status408RequestTimeout)),
        _ => new MemoryStream(Body),
    };

    private static ApiAnswer Parse(byte[] raw)
    {
        var text = Encoding.UTF8.GetString(raw);
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        Assert.True(split > 0, $"No HTTP answer: '{text}'");
        var lines = text[..split].Split("\r\n");
        var status = int.Parse(lines[0].Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        string? Header(string name) => lines.Skip(1).Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Trim().Equals(name, StringComparison.OrdinalIgnoreCase)).Select(p => p[1].Trim()).FirstOrDefault();
        var body = text[(split + 4)..];
        if (Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true)
        {
            var joined = new StringBuilder();
            for (var at = 0; ;)
            {
                var end = body.IndexOf("\r\n", at, StringComparison.Ordinal);
                var size = Convert.ToInt32(body[at..end].Split(';')[0], 16);
                if (size == 0)
                {
                    break;
                }

                joined.Append(body, end + 2, size);
                at = end + 2 + size + 2;
            }

            body = joined.ToString();
        }

        var contentType = Header("Content-Type") is { } type ? new System.Net.Mime.ContentType(type).MediaType : null;
        return new ApiAnswer(status, contentType, body, Header("Location"));
    }

    /// <summary>Gives its bytes, then throws as the server does where the framing breaks.</summary>
    private sealed class BreakingStream(byte[] bytes, Exception fault) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => _position; set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_position >= bytes.Length)
            {
                throw fault;
            }

            var n = Math.Min(count, bytes.Length - _position);
            Array.Copy(bytes, _position, buffer, offset, n);
            _position += n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
