using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace BatchFunctions.MistralEmulator;

/// <summary>Everything the emulator holds: files (content on disk), jobs, settings and forced outcomes.</summary>
internal sealed class EmulatorStore : IDisposable
{
    private readonly ConcurrentDictionary<string, StoredFile> _files = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StoredJob> _jobs = new(StringComparer.Ordinal);
    private readonly List<JobOutcomeRule> _outcomes = [];
    private readonly bool _ownsDirectory;
    private EmulatorSettings _settings;
    private long _peakPending;

    public EmulatorStore(IOptions<MistralEmulatorOptions> options)
    {
        var value = options.Value;
        _ownsDirectory = string.IsNullOrEmpty(value.StorageDirectory);
        Directory = _ownsDirectory
            ? System.IO.Directory.CreateTempSubdirectory("mistral-emulator-").FullName
            : System.IO.Directory.CreateDirectory(value.StorageDirectory!).FullName;
        _settings = new EmulatorSettings(value.QueueDelay, value.RequestsPerSecond, value.CancellationDelay, MaxPendingRequests: value.MaxPendingRequests, MaxApiRequestsPerSecond: value.MaxApiRequestsPerSecond);
    }

    public string Directory { get; }

    public EmulatorSettings Settings
    {
        get => Volatile.Read(ref _settings);
        set => Volatile.Write(ref _settings, value);
    }

    public string NewPath(string suffix) => Path.Combine(Directory, $"{Guid.NewGuid():N}{suffix}");

    public void AddFile(StoredFile file) => _files[file.Id] = file;

    public StoredFile? FindFile(string id) => _files.GetValueOrDefault(id);

    public IEnumerable<StoredFile> Files => _files.Values;

    public bool RemoveFile(string id)
    {
        if (!_files.TryRemove(id, out var file))
        {
            return false;
        }

        TryDelete(file.Path);
        return true;
    }

    public void AddJob(StoredJob job) => _jobs[job.Id] = job;

    public StoredJob? FindJob(string id) => _jobs.GetValueOrDefault(id);

    public IEnumerable<StoredJob> Jobs => _jobs.Values;

    /// <summary>The most requests the workspace has had pending just after a job was created, since the start or the last reset.</summary>
    public long PeakPending => Interlocked.Read(ref _peakPending);

    /// <summary>Notes the workspace's pending requests just after a job was created.</summary>
    public void NotePending(long pending)
    {
        var peak = Interlocked.Read(ref _peakPending);
        while (pending > peak)
        {
            var seen = Interlocked.CompareExchange(ref _peakPending, pending, peak);
            if (seen == peak)
            {
                return;
            }

            peak = seen;
        }
    }

    public bool RemoveJob(string id) => _jobs.TryRemove(id, out _);

    public void AddOutcome(JobOutcomeRule rule)
    {
        lock (_outcomes)
        {
            _outcomes.Add(rule);
        }
    }

    /// <summary>The outcome forced on the job being created now, if an admin call asked for one.</summary>
    public JobOutcomeRule? TakeOutcome()
    {
        lock (_outcomes)
        {
            if (_outcomes.Count == 0)
            {
                return null;
            }

            var rule = _outcomes[0];
            if ((rule.Count ?? 1) <= 1)
            {
                _outcomes.RemoveAt(0);
            }
            else
            {
                _outcomes[0] = rule with { Count = rule.Count!.Value - 1 };
            }

            return rule;
        }
    }

    public void Reset(MistralEmulatorOptions options)
    {
        foreach (var id in _files.Keys)
        {
            RemoveFile(id);
        }

        foreach (var job in _jobs.Values)
        {
            lock (job.Gate)
            {
                job.Reader?.Dispose();
                job.Reader = null;
            }
        }

        _jobs.Clear();
        Interlocked.Exchange(ref _peakPending, 0);
        lock (_outcomes)
        {
            _outcomes.Clear();
        }

        Settings = new EmulatorSettings(options.QueueDelay, options.RequestsPerSecond, options.CancellationDelay, MaxPendingRequests: options.MaxPendingRequests, MaxApiRequestsPerSecond: options.MaxApiRequestsPerSecond);
    }

    public void Dispose()
    {
        foreach (var job in _jobs.Values)
        {
            job.Reader?.Dispose();
        }

        if (_ownsDirectory)
        {
            try
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
            catch (IOException)
            {
                // Best effort: a temp folder left behind is harmless.
            }
        }
    }

    public static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // The file may still be open by a running job's reader; the OS frees it when closed.
        }
    }
}
