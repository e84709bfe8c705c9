using System.Net;
using Microsoft.Extensions.Options;

namespace BatchFunctions.Runner;

/// <summary>Checks the runner's settings at start-up, each failure naming the setting.</summary>
internal sealed class RunnerOptionsValidator : IValidateOptions<RunnerOptions>
{
    public ValidateOptionsResult Validate(string? name, RunnerOptions options)
    {
        var failures = new List<string>();
        if (options.LeaseDuration < TimeSpan.FromSeconds(15) || options.LeaseDuration > TimeSpan.FromSeconds(60))
        {
            failures.Add("Runner:LeaseDuration must be from 15 to 60 seconds (Blob Storage's lease range).");
        }

        foreach (var (setting, value) in new[] { ("ScanInterval", options.ScanInterval), ("WatchInterval", options.WatchInterval), ("QueuePollInterval", options.QueuePollInterval), ("QueueVisibilityTimeout", options.QueueVisibilityTimeout), ("Retention", options.Retention) })
        {
            if (value <= TimeSpan.Zero)
            {
                failures.Add($"Runner:{setting} must be positive.");
            }
        }

        if (options.SettleTime < TimeSpan.Zero)
        {
            failures.Add("Runner:SettleTime must not be negative.");
        }

        if (string.IsNullOrWhiteSpace(options.StateContainer) || string.IsNullOrWhiteSpace(options.RequestsQueue))
        {
            failures.Add("Runner:StateContainer and Runner:RequestsQueue must be set.");
        }

        var urls = options.Urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (urls.Length == 0)
        {
            failures.Add("Runner:Urls must name at least one address.");
        }

        foreach (var url in urls)
        {
            // Kestrel's wildcards (http://*:port, http://+:port) mean every interface.
            var address = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                failures.Add($"Runner:Urls has '{url}', which is not an http(s) address.");
            }
            else if (string.IsNullOrEmpty(options.ApiKey) && !IsLoopback(url))
            {
                failures.Add($"Runner:Urls has '{url}', beyond loopback: set Runner:ApiKey (callers give it as x-functions-key) or listen on 127.0.0.1.");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>
    /// Whether an address binds loopback only: a loopback IP, or <c>localhost</c> (which Kestrel binds to
    /// 127.0.0.1 and ::1). Any other host name Kestrel binds to every interface, <c>loopback</c> among them,
    /// which <see cref="Uri"/> rewrites to <c>localhost</c>: so the host is read from the address as written.
    /// </summary>
    internal static bool IsLoopback(string url)
    {
        var start = url.IndexOf("://", StringComparison.Ordinal) is >= 0 and var scheme ? scheme + 3 : 0;
        var end = url.IndexOfAny(['/', '?', '#'], start) is >= 0 and var slash ? slash : url.Length;
        var authority = url[start..end];
        authority = authority[(authority.LastIndexOf('@') + 1)..];
        var host = authority.StartsWith('[') ? authority[..(authority.IndexOf(']', StringComparison.Ordinal) + 1)] : authority.Split(':')[0];
        return host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            || (IPAddress.TryParse(host.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address));
    }
}
