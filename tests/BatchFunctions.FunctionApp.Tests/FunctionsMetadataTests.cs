using System.Text.Json;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.FunctionApp.Tests;

/// <summary>
/// What the Functions host will load, read from the functions.metadata the worker SDK generates at build:
/// every function with its trigger, path, route, methods and auth level; and how the worker's runtime is set
/// (its runtimeconfig.json). The host itself cannot run here.
/// </summary>
public sealed class FunctionsMetadataTests
{
    private static readonly Lazy<Dictionary<string, JsonElement>> Functions = new(Load);

    [Theory]
    [InlineData("StartFromBlobEvent", "EventGrid")]
    [InlineData("StartFromBlobScan", null)]
    public void BlobTriggers_WatchTheInputContainerSetting(string name, string? source)
    {
        var trigger = Trigger(name, "blobTrigger");

        Assert.Equal("%BATCH_INPUT_CONTAINER%/{name}", trigger.GetProperty("path").GetString());
        Assert.Equal("AzureWebJobsStorage", trigger.GetProperty("connection").GetString());
        Assert.Equal(source, trigger.TryGetProperty("source", out var s) ? s.GetString() : null);
        Assert.Contains(Bindings(name), b => b.GetProperty("type").GetString() == "durableClient");
    }

    [Fact]
    public void QueueTrigger_ListensToTheRequestsQueue()
    {
        var trigger = Trigger("StartFromQueue", "queueTrigger");

        Assert.Equal("batch-requests", trigger.GetProperty("queueName").GetString());
        Assert.Equal("AzureWebJobsStorage", trigger.GetProperty("connection").GetString());
    }

    [Theory]
    [InlineData("StartBatch", "batches", "post")]
    [InlineData("ListBatches", "batches", "get")]
    [InlineData("GetBatch", "batches/{id}", "get")]
    [InlineData("CancelBatch", "batches/{id}/cancel", "post")]
    [InlineData("RetryBatch", "batches/{id}/retry", "post")]
    [InlineData("GetBatchFile", "batches/{id}/files/{kind}", "get")]
    public void HttpTriggers_HaveTheRunnersRoutesBehindFunctionKeys(string name, string route, string method)
    {
        var trigger = Trigger(name, "httpTrigger");

        Assert.Equal(route, trigger.GetProperty("route").GetString());
        Assert.Equal([method], trigger.GetProperty("methods").EnumerateArray().Select(m => m.GetString()!.ToLowerInvariant()));
        Assert.Equal("Function", trigger.GetProperty("authLevel").GetString());
    }

    [Fact]
    public void Orchestrator_IsVersionedAndTheNineActivitiesAreThere()
    {
        Trigger(BatchOrchestrator.Name, "orchestrationTrigger");
        string[] activities = [ActivityNames.ValidateInput, ActivityNames.RejectInput, ActivityNames.StageParts, ActivityNames.UploadPart, ActivityNames.CreateJob, ActivityNames.PollJobs, ActivityNames.CancelJobs, ActivityNames.CollectPart, ActivityNames.FinalizeBatch];

        Assert.All(activities, name => Trigger(name, "activityTrigger"));
        Assert.Equal(1 + 9 + 2 + 1 + 6, Functions.Value.Count);
    }

    [Fact]
    public void RuntimeConfig_ConservesMemory()
    {
        // The README's memory figures for the app's activities are with it: without, a 1M batch's large arrays
        // stayed on the heap until the end (see batchfn.runtime.props).
        using var document = JsonDocument.Parse(File.ReadAllText(AppOutput("BatchFunctions.FunctionApp.runtimeconfig.json")));

        Assert.Equal(9, document.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties").GetProperty("System.GC.ConserveMemory").GetInt32());
    }

    private static JsonElement Trigger(string function, string type)
    {
        Assert.True(Functions.Value.ContainsKey(function), $"functions.metadata has no function {function}.");
        return Assert.Single(Bindings(function), b => b.GetProperty("type").GetString() == type && b.GetProperty("direction").GetString() == "In");
    }

    private static List<JsonElement> Bindings(string function) => [.. Functions.Value[function].GetProperty("bindings").EnumerateArray()];

    private static Dictionary<string, JsonElement> Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllText(AppOutput("functions.metadata")));
        return document.RootElement.EnumerateArray().ToDictionary(f => f.GetProperty("name").GetString()!, f => f.Clone(), StringComparer.Ordinal);
    }

    /// <summary>A file the Function App's build wrote: bin/{configuration}/{framework}/ of this project, mirrored under the app's folder.</summary>
    private static string AppOutput(string file)
    {
        var output = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var path = Path.Combine(RepositoryRoot.Find(), "src", "BatchFunctions.FunctionApp", "bin", output.Parent!.Name, output.Name, file);
        Assert.True(File.Exists(path), $"No {path}: build the Function App first (./test.sh does).");
        return path;
    }
}
