using Microsoft.Extensions.Options;

namespace BatchFunctions.MistralEmulator;

/// <summary>Decides which calls get an injected fault: the next N matching calls, or a seeded random share of them.</summary>
internal sealed class FaultInjector(IOptions<MistralEmulatorOptions> options)
{
    public static readonly IReadOnlySet<string> Kinds = new HashSet<string>(StringComparer.Ordinal) { "rate_limit", "server_error", "unavailable", "slow", "drop" };

    private readonly List<FaultRule> _rules = [];
    private Random _random = new(options.Value.FaultSeed);

    public void Add(FaultRule rule)
    {
        lock (_rules)
        {
            _rules.Add(rule);
        }
    }

    public void Clear()
    {
        lock (_rules)
        {
            _rules.Clear();
            _random = new Random(options.Value.FaultSeed);
        }
    }

    public FaultRule? Next(string method, string path)
    {
        lock (_rules)
        {
            for (var i = 0; i < _rules.Count; i++)
            {
                var rule = _rules[i];
                if ((rule.PathPrefix is not null && !path.StartsWith(rule.PathPrefix, StringComparison.Ordinal))
                    || (rule.Method is not null && !string.Equals(rule.Method, method, StringComparison.OrdinalIgnoreCase)))
                {
                    continue;
                }

                if (rule.Count is { } count)
                {
                    if (count <= 1)
                    {
                        _rules.RemoveAt(i);
                    }
                    else
                    {
                        _rules[i] = rule with { Count = count - 1 };
                    }

                    return rule;
                }

                if (rule.Rate is { } rate && _random.NextDouble() < rate)
                {
                    return rule;
                }
            }

            return null;
        }
    }
}
