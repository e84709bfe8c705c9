using System.Globalization;
using System.Text;

namespace BatchFunctions.Core.Mistral;

/// <summary>Builds a query string the way Mistral's SDKs do (OpenAPI form style, exploded): arrays repeat the key.</summary>
internal sealed class MistralQuery
{
    private readonly StringBuilder _builder = new();

    public MistralQuery Add(string key, string? value)
    {
        if (value is not null)
        {
            _builder.Append(_builder.Length == 0 ? '?' : '&')
                .Append(Uri.EscapeDataString(key))
                .Append('=')
                .Append(Uri.EscapeDataString(value));
        }

        return this;
    }

    public MistralQuery Add(string key, int? value) => Add(key, value?.ToString(CultureInfo.InvariantCulture));

    public MistralQuery Add(string key, bool? value) => Add(key, value is null ? null : value.Value ? "true" : "false");

    public MistralQuery AddEach<T>(string key, IEnumerable<T>? values)
    {
        foreach (var value in values ?? [])
        {
            Add(key, value?.ToString());
        }

        return this;
    }

    public override string ToString() => _builder.ToString();
}
