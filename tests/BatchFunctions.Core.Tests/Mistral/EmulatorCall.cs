using System.Text.Json;

namespace BatchFunctions.Core.Tests.Mistral;

/// <summary>One call as the emulator recorded it.</summary>
public sealed record EmulatorCall(long Sequence, string Method, string Path, string Query, int Status, string? Fault, DateTimeOffset At, double ElapsedMilliseconds, double StartedMilliseconds)
{
    public static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };
}
