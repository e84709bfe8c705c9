using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Cli.Commands;

/// <summary>Settings that failed validation, said one line each, naming the setting and how to set it.</summary>
internal static partial class SettingErrors
{
    // Options classes whose section is not their name less "Options".
    private static readonly Dictionary<string, string> Sections = new(StringComparer.Ordinal)
    {
        ["BatchStorageOptions"] = "Storage",
        ["BatchDefaultsOptions"] = "Batch",
        ["MistralClientOptions"] = "Mistral",
        ["NotificationOptions"] = "Notifications",
        ["MistralEmulatorOptions"] = "Emulator",
    };

    /// <summary>The lines for the invalid settings <paramref name="exception"/> reports (also inside an <see cref="AggregateException"/>); empty when it reports none.</summary>
    public static IReadOnlyList<string> Describe(Exception exception)
    {
        var found = new List<string>();
        Collect(exception, found);
        return found;
    }

    private static void Collect(Exception exception, List<string> found)
    {
        switch (exception)
        {
            case OptionsValidationException invalid:
                found.AddRange(invalid.Failures.Select(failure => Line(invalid.OptionsType.Name, failure)));
                break;
            case AggregateException aggregate:
                foreach (var inner in aggregate.InnerExceptions)
                {
                    Collect(inner, found);
                }

                break;
            case { InnerException: { } inner }:
                Collect(inner, found);
                break;
        }
    }

    private static string Line(string optionsType, string failure)
    {
        var section = Sections.GetValueOrDefault(optionsType) ?? (optionsType.EndsWith("Options", StringComparison.Ordinal) ? optionsType[..^"Options".Length] : optionsType);
        return DataAnnotation().Match(failure) is { Success: true } match
            ? $"Setting {section}:{match.Groups["member"].Value} (environment variable {section}__{match.Groups["member"].Value}) is invalid: {match.Groups["error"].Value}"
            : $"Invalid {section} setting ({section}__* environment variables): {failure}";
    }

    [GeneratedRegex("members: '(?<member>[A-Za-z0-9_]+)' with the error: '(?<error>.*)'\\.?$")]
    private static partial Regex DataAnnotation();
}
