namespace BatchFunctions.FunctionApp;

/// <summary>App settings the function bindings read by name.</summary>
internal static class AppSettings
{
    /// <summary>The input container, used in the blob triggers' paths as <c>%BATCH_INPUT_CONTAINER%</c>.</summary>
    public const string InputContainer = "BATCH_INPUT_CONTAINER";

    /// <summary>The storage connection of the triggers (identity-based in Azure: <c>AzureWebJobsStorage__*</c>).</summary>
    public const string StorageConnection = "AzureWebJobsStorage";

    /// <summary>The queue of start requests.</summary>
    public const string RequestsQueue = "batch-requests";
}
