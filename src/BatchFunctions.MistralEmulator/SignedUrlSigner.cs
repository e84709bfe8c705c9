using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BatchFunctions.MistralEmulator;

/// <summary>Signs download URLs with a per-process key, as the real API hands out SAS URLs.</summary>
internal sealed class SignedUrlSigner
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);

    public string Sign(string fileId, long expiresAt) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{fileId}:{expiresAt}"))));

    public bool Verify(string fileId, long expiresAt, string signature) =>
        CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(Sign(fileId, expiresAt)), Encoding.ASCII.GetBytes(signature));
}
