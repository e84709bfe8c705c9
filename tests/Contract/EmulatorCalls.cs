using System.Text.Json;

namespace BatchFunctions.Tests.Contract;

/// <summary>The emulator's record of the calls it received, read the way every test host reads it.</summary>
public static class EmulatorCalls
{
    /// <summary>Each call of <paramref name="method"/> on <paramref name="path"/>: the fault it met (null for none) and when it arrived and ended, in milliseconds from the emulator's start.</summary>
    public static async Task<List<(string? Fault, double Start, double End)>> OfAsync(HttpClient admin, string method, string path)
    {
        ArgumentNullException.ThrowIfNull(admin);
        using var calls = JsonDocument.Parse(await admin.GetStringAsync(new Uri("_emulator/calls", UriKind.Relative)));
        return [.. calls.RootElement.EnumerateArray()
            .Where(c => c.GetProperty("method").GetString() == method && c.GetProperty("path").GetString() == path)
            .Select(c => (c.GetProperty("fault").GetString(), c.GetProperty("started_milliseconds").GetDouble(), c.GetProperty("started_milliseconds").GetDouble() + c.GetProperty("elapsed_milliseconds").GetDouble()))];
    }

    /// <summary>The status codes the emulator answered each call of <paramref name="method"/> on <paramref name="path"/> with, in order.</summary>
    public static async Task<List<int>> StatusesAsync(HttpClient admin, string method, string path)
    {
        ArgumentNullException.ThrowIfNull(admin);
        using var calls = JsonDocument.Parse(await admin.GetStringAsync(new Uri("_emulator/calls", UriKind.Relative)));
        return [.. calls.RootElement.EnumerateArray()
            .Where(c => c.GetProperty("method").GetString() == method && c.GetProperty("path").GetString() == path)
            .Select(c => c.GetProperty("status").GetInt32())];
    }
}
