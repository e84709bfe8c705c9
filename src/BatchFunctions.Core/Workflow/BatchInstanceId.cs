using System.Security.Cryptography;
using System.Text;

namespace BatchFunctions.Core.Workflow;

/// <summary>
/// A batch's id, derived from its input's identity (account, container, name, ETag): the same blob version
/// always gives the same id, so a repeated trigger starts nothing new, and a new upload of the same name
/// (a new ETag) is a new batch.
/// </summary>
public static class BatchInstanceId
{
    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>The id of the batch of <paramref name="source"/>: <c>bf-</c> and 32 hex digits.</summary>
    public static string From(BatchSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var identity = $"{source.Account}\n{source.Container}\n{source.Name}\n{source.ETag.Trim('"')}";
        return "bf-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(identity)).AsSpan(0, 16));
    }

    /// <summary>Whether <paramref name="text"/> has the shape of an id this class makes (a safe blob name part).</summary>
    public static bool IsWellFormed(string? text) =>
        text is { Length: 35 } && text.StartsWith("bf-", StringComparison.Ordinal) && !text.AsSpan(3).ContainsAnyExcept(LowerHex);
}
