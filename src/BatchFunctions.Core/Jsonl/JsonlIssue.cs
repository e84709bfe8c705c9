namespace BatchFunctions.Core.Jsonl;

/// <summary>One problem found in a JSONL input.</summary>
/// <param name="Line">1-based line number; 0 for the file as a whole.</param>
/// <param name="Field">Path of the field at fault (<c>body.messages[2].role</c>), or null.</param>
/// <param name="Code">A stable code from <see cref="JsonlCodes"/>.</param>
/// <param name="Message">What is wrong and how to fix it.</param>
public sealed record JsonlIssue(long Line, string? Field, string Code, string Message)
{
    /// <summary>One line for people: <c>line 50 (body.messages): missing_field: ...</c>, no thousands separators.</summary>
    public string Describe()
    {
        var field = Field is null ? string.Empty : $" ({Field})";
        return Line == 0
            ? $"{Code}{field}: {Message}"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"line {Line}{field}: {Code}: {Message}");
    }
}
