namespace BatchFunctions.Core.Mistral;

/// <summary>Filters and paging for listing batch jobs.</summary>
public sealed record BatchJobListQuery
{
    /// <summary>Zero-based page.</summary>
    public int Page { get; init; }

    /// <summary>Jobs per page.</summary>
    public int PageSize { get; init; } = 100;

    /// <summary>Only jobs of this model.</summary>
    public string? Model { get; init; }

    /// <summary>Only jobs of this agent.</summary>
    public string? AgentId { get; init; }

    /// <summary>Only jobs whose metadata has all these pairs.</summary>
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>Only jobs created after this instant.</summary>
    public DateTimeOffset? CreatedAfter { get; init; }

    /// <summary>Only the caller's own jobs.</summary>
    public bool? CreatedByMe { get; init; }

    /// <summary>Only jobs in one of these statuses.</summary>
    public IReadOnlyList<BatchJobStatus>? Statuses { get; init; }

    /// <summary>Oldest first instead of the API's default, newest first.</summary>
    public bool OldestFirst { get; init; }
}
