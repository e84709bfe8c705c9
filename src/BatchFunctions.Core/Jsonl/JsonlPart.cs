namespace BatchFunctions.Core.Jsonl;

/// <summary>One part of an input: a contiguous range of its lines, and so of its bytes.</summary>
/// <param name="Index">0-based part number.</param>
/// <param name="FirstLine">1-based input line number of the part's first line.</param>
/// <param name="Lines">Lines in the part, blank ones included.</param>
/// <param name="Requests">Requests (non-blank lines) in the part.</param>
/// <param name="Bytes">Bytes in the part.</param>
/// <param name="Offset">Offset of the part's first byte in the input.</param>
/// <param name="FirstRequest">0-based ordinal, in the whole input, of the part's first request.</param>
public sealed record JsonlPart(int Index, long FirstLine, long Lines, long Requests, long Bytes, long Offset, long FirstRequest);
