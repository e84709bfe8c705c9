namespace BatchFunctions.Core.Workflow;

/// <summary>The input blob of a batch, pinned to the version (ETag) that started it.</summary>
/// <param name="Account">Storage account name.</param>
/// <param name="Container">Container name.</param>
/// <param name="Name">Blob name.</param>
/// <param name="ETag">The blob version read; a different version is a different batch.</param>
public sealed record BatchSource(string Account, string Container, string Name, string ETag);
