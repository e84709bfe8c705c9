using BatchFunctions.Core.Api;

namespace BatchFunctions.Cli.Commands;

/// <summary>Downloads a batch's files through the host's API into a folder.</summary>
internal static class ResultsDownloader
{
    public static string FileName(BatchFileKind kind) => kind switch
    {
        BatchFileKind.Results => "results.jsonl",
        BatchFileKind.Errors => "errors.jsonl",
        BatchFileKind.Summary => "summary.json",
        BatchFileKind.CombinedResults => "combined-results.jsonl",
        BatchFileKind.CombinedErrors => "combined-errors.jsonl",
        BatchFileKind.CombinedSummary => "combined-summary.json",
        _ => "rejection.json",
    };

    /// <summary>Downloads every file the batch has; returns the paths written. A folder made for nothing is removed again.</summary>
    public static async Task<IReadOnlyList<string>> DownloadAsync(BatchApiClient client, string id, DirectoryInfo directory, CancellationToken cancellationToken)
    {
        var existed = directory.Exists;
        directory.Create();
        var written = new List<string>();
        foreach (var kind in Enum.GetValues<BatchFileKind>())
        {
            var path = Path.Combine(directory.FullName, FileName(kind));
            var partial = path + ".partial";
            bool found;
            await using (var file = File.Create(partial))
            {
                found = await client.DownloadAsync(id, kind, file, cancellationToken);
            }

            if (found)
            {
                File.Move(partial, path, overwrite: true);
                written.Add(path);
            }
            else
            {
                File.Delete(partial);
            }
        }

        if (written.Count == 0 && !existed)
        {
            directory.Delete();
        }

        return written;
    }

    /// <summary>The folder a batch's files go to when none is given: the same for <c>submit --wait</c> and <c>results</c>.</summary>
    public static DirectoryInfo DefaultDirectory(string inputName, string id) =>
        new(Path.Combine("batchfn-results", Path.GetFileNameWithoutExtension(inputName) + "-" + id[3..Math.Min(id.Length, 11)]));
}
