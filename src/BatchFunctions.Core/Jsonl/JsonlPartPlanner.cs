using System.Buffers.Binary;

namespace BatchFunctions.Core.Jsonl;

/// <summary>
/// Cuts an input into parts within the per-job limits as its lines go by, so that validation and the split
/// are one pass: each part is a byte range of the input, uploaded from there, never copied. It also writes,
/// when given a stream, the 64-bit hash of every request's custom_id in input order (8 bytes each, little
/// endian, 0 for a request without a readable id): the merge's index, which spares it reading the input.
/// </summary>
public sealed class JsonlPartPlanner
{
    private const int HashBufferBytes = 64 * 1024;

    private readonly JsonlSplitOptions _options;
    private readonly Stream? _idHashes;
    private readonly byte[] _hashBuffer;
    private readonly List<JsonlPart> _parts = [];
    private int _hashed;
    private long _lineNumber;
    private long _offset;
    private long _totalRequests;
    private long _first = 1;
    private long _partOffset;
    private long _partFirstRequest;
    private long _lines;
    private long _requests;
    private long _bytes;

    /// <summary>Plans parts within <paramref name="options"/>; <paramref name="idHashes"/>, when given, receives the custom_id hashes (not disposed here).</summary>
    public JsonlPartPlanner(JsonlSplitOptions options, Stream? idHashes = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.MaxRequestsPerPart < 1 || options.MaxBytesPerPart < options.MaxLineBytes + 2L)
        {
            throw new ArgumentException("A part must hold at least one request and one line of the longest accepted size.", nameof(options));
        }

        _options = options;
        _idHashes = idHashes;
        _hashBuffer = idHashes is null ? [] : new byte[HashBufferBytes];
    }

    /// <summary>
    /// Takes the next line (its length with the line ending); true when it begins a new part, the previous
    /// one being complete. <paramref name="idHash"/> is its custom_id's 64-bit hash (never 0), or 0 when it has none.
    /// </summary>
    public async ValueTask<bool> AddAsync(long rawLength, bool isRequest, ulong idHash, CancellationToken cancellationToken)
    {
        var begins = _lines > 0 && ((isRequest && _requests == _options.MaxRequestsPerPart) || _bytes + rawLength > _options.MaxBytesPerPart);
        if (begins)
        {
            Close();
        }

        _lineNumber++;
        _lines++;
        _bytes += rawLength;
        _offset += rawLength;
        if (isRequest)
        {
            _requests++;
            _totalRequests++;
            if (_idHashes is not null)
            {
                BinaryPrimitives.WriteUInt64LittleEndian(_hashBuffer.AsSpan(_hashed), idHash);
                _hashed += sizeof(ulong);
                if (_hashed == _hashBuffer.Length)
                {
                    await FlushAsync(cancellationToken);
                }
            }
        }

        return begins;
    }

    /// <summary>Ends the plan: the last part is closed and every hash written.</summary>
    public async Task<IReadOnlyList<JsonlPart>> CompleteAsync(CancellationToken cancellationToken)
    {
        if (_lines > 0)
        {
            Close();
        }

        await FlushAsync(cancellationToken);
        return _parts;
    }

    private void Close()
    {
        _parts.Add(new JsonlPart(_parts.Count, _first, _lines, _requests, _bytes, _partOffset, _partFirstRequest));
        _first = _lineNumber + 1;
        _partOffset = _offset;
        _partFirstRequest = _totalRequests;
        _lines = _requests = _bytes = 0;
    }

    private async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (_idHashes is not null && _hashed > 0)
        {
            await _idHashes.WriteAsync(_hashBuffer.AsMemory(0, _hashed), cancellationToken);
            _hashed = 0;
        }
    }
}
