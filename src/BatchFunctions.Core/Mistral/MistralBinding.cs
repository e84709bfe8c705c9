using System.Security.Cryptography;
using System.Text;

namespace BatchFunctions.Core.Mistral;

/// <summary>
/// Which Mistral a batch belongs to: the address its host was configured with (or that Mistral's stable
/// <see cref="MistralClientOptions.Identity"/>) and a fingerprint of the key, never the key. A batch's calls go
/// only to the Mistral it started against, so that no batch mixes the answers of two, and no job is left
/// behind at the first for a second to fail.
/// </summary>
/// <param name="Address">The Mistral's address or identity.</param>
/// <param name="KeyFingerprint">The first 16 hex digits of the key's SHA-256; null without a key.</param>
public sealed record MistralBinding(string Address, string? KeyFingerprint)
{
    /// <summary>The binding a host configured with <paramref name="options"/> gives its batches.</summary>
    public static MistralBinding Of(MistralClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var address = options.Identity is { Length: > 0 } identity ? identity : options.BaseAddress.AbsoluteUri;
        var fingerprint = options.ApiKey is { Length: > 0 } key ? Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)))[..16] : null;
        return new MistralBinding(address, fingerprint);
    }

    /// <summary>
    /// Why a host bound to <paramref name="host"/> may not call Mistral for a batch bound to this, in words
    /// for the status; null when it may.
    /// </summary>
    public string? Mismatch(MistralBinding host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (Address != host.Address)
        {
            return $"Waiting for its Mistral: this batch started against {Address}; this host talks to {host.Address}. Run it on a host configured for {Address}, or cancel it there.";
        }

        return KeyFingerprint != host.KeyFingerprint
            ? $"Waiting for its Mistral: this batch started at {Address} with another API key than this host's (fingerprint {KeyFingerprint ?? "none"}, this host's {host.KeyFingerprint ?? "none"}). Run it on a host with that key, or cancel it there."
            : null;
    }
}
