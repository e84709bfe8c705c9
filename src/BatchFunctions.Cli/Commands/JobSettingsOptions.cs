using System.CommandLine;
using BatchFunctions.Core.Api;
using BatchFunctions.Core.Mistral;
using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Cli.Commands;

/// <summary>The job settings options shared by <c>run</c> and <c>submit</c>.</summary>
internal sealed class JobSettingsOptions
{
    public Option<string?> Model { get; } = new("--model", "-m") { Description = "The job's model (blob metadata 'model')." };

    public Option<string?> Endpoint { get; } = new("--endpoint", "-e") { Description = "The endpoint, e.g. /v1/chat/completions." };

    public Option<int?> TimeoutHours { get; } = new("--timeout-hours") { Description = "Mistral's job timeout, 1 to 168 hours." };

    public Option<string?> Priority { get; } = new("--priority") { Description = "Where the batch queues for the workspace's capacity: high, normal (default) or low." };

    public Option<string[]> Metadata { get; } = new("--metadata") { Description = "Job metadata as key=value (repeatable).", AllowMultipleArgumentsPerToken = true };

    public void AddTo(Command command)
    {
        command.Options.Add(Model);
        command.Options.Add(Endpoint);
        command.Options.Add(TimeoutHours);
        command.Options.Add(Metadata);
        command.Options.Add(Priority);
    }

    /// <summary>The settings given, or the message of the first malformed one.</summary>
    public (StartBatchRequest? Settings, string? Error) Read(ParseResult parse, string? name)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in parse.GetValue(Metadata) ?? [])
        {
            var separator = pair.IndexOf('=', StringComparison.Ordinal);
            if (separator < 1)
            {
                return (null, $"--metadata takes key=value, not '{pair}'.");
            }

            metadata[pair[..separator]] = pair[(separator + 1)..];
        }

        if (parse.GetValue(Endpoint) is { } endpoint && !ApiEndpoint.Known.Contains(ApiEndpoint.FromValue(endpoint)))
        {
            return (null, $"--endpoint is '{endpoint}'; it must be one of {string.Join(", ", ApiEndpoint.Known)}.");
        }

        if (parse.GetValue(TimeoutHours) is { } hours && hours is < 1 or > 168)
        {
            return (null, "--timeout-hours must be from 1 to 168.");
        }

        if (parse.GetValue(Priority) is { } priority && BatchPriorities.Parse(priority) is null)
        {
            return (null, $"--priority is '{priority}'; it must be {BatchPriorities.Accepted}.");
        }

        return (new StartBatchRequest(Name: name, Model: parse.GetValue(Model), Endpoint: parse.GetValue(Endpoint), TimeoutHours: parse.GetValue(TimeoutHours), Metadata: metadata.Count == 0 ? null : metadata, Priority: parse.GetValue(Priority)), null);
    }
}
