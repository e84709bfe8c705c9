using System.Globalization;

namespace BatchFunctions.Core.Storage;

/// <summary>
/// The rules an untrusted blob or container name must meet before BatchFunctions reads, writes or deletes
/// anything by it. Every entry point (HTTP, JSONL upload, queue message, Event Grid subject, blob trigger,
/// input watcher) asks these, so that no name can step out of the container it names: the storage client
/// puts a name into a URL path, where <c>..</c> (plain or percent-encoded) or a backslash moves to another
/// container. Each check answers why a name is refused, naming the field, or null when it is fine.
/// </summary>
public static class BlobNames
{
    /// <summary>
    /// The longest input name: Azure allows 1,024 characters, and outputs are written under
    /// <c>{input name}/{instance id}/</c>, which adds up to 51 more.
    /// </summary>
    public const int MaxInputNameLength = 960;

    /// <summary>Why <paramref name="name"/> cannot name an input blob, or null when it can.</summary>
    /// <param name="name">The name as given.</param>
    /// <param name="field">Where it came from, for the message (<c>the JSON field 'blob.name'</c>, say).</param>
    public static string? CheckInputName(string? name, string field)
    {
        if (string.IsNullOrEmpty(name))
        {
            return $"{field} is required: the name of a .jsonl blob in the input container.";
        }

        if (name.Length > MaxInputNameLength)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{field} has {name.Length} characters; a name may have at most {MaxInputNameLength}.");
        }

        if (FirstUnsafe(name) is { } bad)
        {
            return $"{field} contains {bad}, which blob names here may not contain.";
        }

        // A name a client percent-encoded is decoded by nobody on the way to storage, but a traversal hidden
        // that way is refused all the same, as is any name that decodes to something else than it says.
        var decoded = name.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(name) : name;
        if (!ReferenceEquals(decoded, name) && FirstUnsafe(decoded) is not null)
        {
            return $"{field} contains a percent-encoded backslash or control character.";
        }

        foreach (var candidate in ReferenceEquals(decoded, name) ? [name] : new[] { name, decoded })
        {
            if (candidate.StartsWith('/'))
            {
                return $"{field} starts with '/'; give the name inside the input container, without a leading '/'.";
            }

            foreach (var segment in candidate.Split('/'))
            {
                if (segment.Length == 0)
                {
                    return $"{field} has an empty path segment ('//').";
                }

                if (segment is "." or "..")
                {
                    return $"{field} has a '{segment}' path segment; names may not step out of the input container.";
                }
            }
        }

        if (!name.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            return $"{field} must end with .jsonl.";
        }

        return null;
    }

    /// <summary>Whether <paramref name="name"/> is a valid Azure container name (3 to 63 lower-case letters, digits and single hyphens, starting and ending with a letter or digit).</summary>
    public static bool IsContainerName(string? name)
    {
        if (name is not { Length: >= 3 and <= 63 } || !char.IsAsciiLetterLower(name[0]) && !char.IsAsciiDigit(name[0]) || name[^1] == '-')
        {
            return false;
        }

        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-') || (c == '-' && name[i - 1] == '-'))
            {
                return false;
            }
        }

        return true;
    }

    private static string? FirstUnsafe(string name)
    {
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsControl(c) || c is '\uFFFE' or '\uFFFF')
            {
                return string.Create(CultureInfo.InvariantCulture, $"the control character U+{(int)c:X4} at position {i + 1}");
            }

            if (c == '\\')
            {
                return string.Create(CultureInfo.InvariantCulture, $"a backslash at position {i + 1} (Azure Storage reads it as '/')");
            }

            if (char.IsHighSurrogate(c) && (i + 1 == name.Length || !char.IsLowSurrogate(name[i + 1])) || char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(name[i - 1])))
            {
                return string.Create(CultureInfo.InvariantCulture, $"a broken UTF-16 character at position {i + 1}");
            }
        }

        return null;
    }
}
