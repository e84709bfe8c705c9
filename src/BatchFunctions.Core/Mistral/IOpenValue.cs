namespace BatchFunctions.Core.Mistral;

/// <summary>
/// A string-backed enumeration that tolerates values unknown when this code was written, as Mistral's
/// own SDKs do: a new status or purpose must never break deserialisation of a response.
/// </summary>
/// <typeparam name="TSelf">The implementing type.</typeparam>
public interface IOpenValue<TSelf>
    where TSelf : struct, IOpenValue<TSelf>
{
    /// <summary>The wire value.</summary>
    string Value { get; }

    /// <summary>Wraps a wire value, known or not.</summary>
    static abstract TSelf FromValue(string value);
}
