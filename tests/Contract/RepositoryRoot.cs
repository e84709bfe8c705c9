namespace BatchFunctions.Tests.Contract;

/// <summary>The checkout the test binaries were built in: where node_modules, the scripts and the app builds are.</summary>
internal static class RepositoryRoot
{
    public static string Find()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "BatchFunctions.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("The repository root (with BatchFunctions.sln) was not found above the test binaries.");
    }
}
