using Microsoft.Extensions.Options;

namespace BatchFunctions.Core.Mistral;

/// <summary>Checks <see cref="MistralClientOptions"/> at start-up, so a bad setting fails the host, not the first batch.</summary>
internal sealed class MistralClientOptionsValidator : IValidateOptions<MistralClientOptions>
{
    public ValidateOptionsResult Validate(string? name, MistralClientOptions options)
    {
        var failures = new List<string>();
        var address = options.BaseAddress;
        if (address is null || !address.IsAbsoluteUri || (address.Scheme != Uri.UriSchemeHttps && address.Scheme != Uri.UriSchemeHttp))
        {
            failures.Add("Mistral:BaseAddress must be an absolute http(s) URL.");
        }
        else if (address.Scheme == Uri.UriSchemeHttp && !address.IsLoopback)
        {
            failures.Add("Mistral:BaseAddress may use plain http only on loopback (the emulator); the API key would otherwise travel unencrypted.");
        }

        if (string.IsNullOrWhiteSpace(options.ApiKey))
        {
            failures.Add("Mistral:ApiKey is required (set MISTRAL_API_KEY, or any value for the emulator).");
        }
        else if (options.ApiKey.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
        {
            failures.Add("Mistral:ApiKey contains whitespace or control characters.");
        }

        if (options.RequestTimeout <= TimeSpan.Zero || options.TransferTimeout <= TimeSpan.Zero)
        {
            failures.Add("Mistral:RequestTimeout and Mistral:TransferTimeout must be positive.");
        }

        if (options.MaxRetryAttempts is < 0 or > 20)
        {
            failures.Add("Mistral:MaxRetryAttempts must be between 0 and 20.");
        }

        if (options.RetryBaseDelay <= TimeSpan.Zero || options.MaxRetryDelay < TimeSpan.Zero)
        {
            failures.Add("Mistral:RetryBaseDelay must be positive and Mistral:MaxRetryDelay not negative.");
        }

        if (options.MaxRequestsPerSecond < 0 || double.IsNaN(options.MaxRequestsPerSecond))
        {
            failures.Add("Mistral:MaxRequestsPerSecond must be 0 (no budget) or more.");
        }

        if (options.MaxPendingRequests < 0)
        {
            failures.Add("Mistral:MaxPendingRequests must be 0 (no admission) or more.");
        }

        if (options.CapacityRecheck < TimeSpan.FromSeconds(1))
        {
            failures.Add("Mistral:CapacityRecheck must be at least a second (00:00:01).");
        }

        if (options.MaxInlineRequests < 1)
        {
            failures.Add("Mistral:MaxInlineRequests must be at least 1.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
