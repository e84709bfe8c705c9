namespace BatchFunctions.Core.Jsonl;

/// <summary>One part of a split input: a contiguous range of its lines.</summary>
/// <param name="Index">0-based part number.</param>
/// <param name="FirstLine">1-based input line number of the part's first line.</param>
/// <param name="Lines">Lines in the part, blank ones included.</param>
/// <param name="Requests">Requests (non-blank lines) in the part.</param>
/// <param name="Bytes">Bytes in the part.</param>
public sealed record JsonlPart(int Index, long FirstLine, long Lines, long Requests, long Bytes);
