using System.Text.Json;

namespace BatchFunctions.IntegrationTests;

/// <summary>How the runtime runs batchfn, read from the runtimeconfig.json its build wrote (batchfn.runtime.props).</summary>
public sealed class BatchFnRuntimeConfigTests
{
    [Theory]
    [InlineData("System.GC.ConserveMemory", "9")]
    [InlineData("System.Runtime.TieredCompilation.QuickJitForLoops", "False")]
    [InlineData("System.Runtime.TieredPGO", "False")]
    public void RuntimeConfig_Batchfn_HasTheSettingsItsFiguresWereMeasuredWith(string property, string expected)
    {
        // The README's memory and validation figures are with these: without ConserveMemory a 1M batch's large
        // arrays stayed on the heap until its end, peak 162 MB against 127.
        var path = Path.ChangeExtension(RunnerProcess.BatchFnPath(), ".runtimeconfig.json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));

        var value = document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").GetProperty(property);
        Assert.Equal(expected, value.ValueKind == JsonValueKind.Number ? value.GetRawText() : value.GetBoolean().ToString());
    }
}
