using System.Globalization;

namespace BatchFunctions.MistralEmulator;

/// <summary>Reads typed query parameters, collecting pydantic-style errors instead of throwing.</summary>
internal sealed class QueryReader(IQueryCollection query)
{
    public List<ValidationIssue> Issues { get; } = [];

    public int Int(string name, int fallback, int minimum = 0, int? maximum = null)
    {
        if (!query.TryGetValue(name, out var values) || values.Count == 0)
        {
            return fallback;
        }

        if (!int.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var value))
        {
            Issues.Add(new ValidationIssue("int_parsing", ["query", name], "Input should be a valid integer, unable to parse string as an integer", values[0]));
            return fallback;
        }

        if (value < minimum || value > (maximum ?? int.MaxValue))
        {
            Issues.Add(new ValidationIssue("greater_than_equal", ["query", name], $"Input should be between {minimum} and {maximum ?? int.MaxValue}", values[0]));
            return fallback;
        }

        return value;
    }

    public bool? Bool(string name)
    {
        if (!query.TryGetValue(name, out var values) || values.Count == 0)
        {
            return null;
        }

        if (bool.TryParse(values[0], out var value))
        {
            return value;
        }

        Issues.Add(new ValidationIssue("bool_parsing", ["query", name], "Input should be a valid boolean, unable to interpret input", values[0]));
        return null;
    }

    public string? String(string name) => query.TryGetValue(name, out var values) && values.Count > 0 ? values[0] : null;

    public IReadOnlyList<string> Strings(string name, IReadOnlySet<string>? allowed = null)
    {
        if (!query.TryGetValue(name, out var values))
        {
            return [];
        }

        var result = new List<string>();
        foreach (var value in values)
        {
            if (value is null)
            {
                continue;
            }

            if (allowed is not null && !allowed.Contains(value))
            {
                Issues.Add(new ValidationIssue("enum", ["query", name], $"Input should be {string.Join(", ", allowed.Select(a => $"'{a}'"))}", value));
                continue;
            }

            result.Add(value);
        }

        return result;
    }
}
