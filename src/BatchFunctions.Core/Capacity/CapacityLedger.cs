using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Capacity;

/// <summary>
/// The workspace's shared record of capacity: the parts granted capacity whose jobs Mistral does not show yet,
/// and the parts waiting for it. One blob per workspace, changed only by a conditional write, so that two hosts
/// never both take the last capacity. Ids and counts only.
/// </summary>
/// <param name="Grants">Parts granted capacity, until their jobs are seen to end (or never appear).</param>
/// <param name="Waiters">Parts waiting, each refreshed by its batch as it looks again.</param>
public sealed record CapacityLedger(IReadOnlyList<CapacityGrant> Grants, IReadOnlyList<CapacityWaiter> Waiters)
{
    /// <summary>An empty ledger, for a workspace nothing has been granted in yet.</summary>
    public static CapacityLedger Empty { get; } = new([], []);
}

/// <summary>A part granted capacity.</summary>
/// <param name="Instance">Its batch.</param>
/// <param name="Part">Its index.</param>
/// <param name="Requests">The requests it was granted.</param>
/// <param name="GrantedAt">When it was granted, or last seen listed as queued without a count.</param>
/// <param name="Seen">Whether Mistral has listed its job among the pending ones (from then on Mistral counts it).</param>
/// <param name="CreatedAt">When its job was created; a job created well before a listing that does not show it has ended.</param>
public sealed record CapacityGrant(string Instance, int Part, long Requests, DateTimeOffset GrantedAt, bool Seen = false, DateTimeOffset? CreatedAt = null);

/// <summary>A part waiting for capacity.</summary>
/// <param name="Instance">Its batch.</param>
/// <param name="Part">Its index.</param>
/// <param name="Requests">The requests it asks for.</param>
/// <param name="Priority">Its batch's priority.</param>
/// <param name="Since">Its place in the queue: when its batch started (first come, first served).</param>
/// <param name="SeenAt">When its batch last asked; a waiter not refreshed for a while belongs to a batch that stopped.</param>
public sealed record CapacityWaiter(string Instance, int Part, long Requests, BatchPriority Priority, DateTimeOffset Since, DateTimeOffset SeenAt);

/// <summary>A part asking for capacity.</summary>
/// <param name="Instance">Its batch.</param>
/// <param name="Part">Its index.</param>
/// <param name="Requests">Its requests.</param>
/// <param name="Priority">Its batch's priority.</param>
/// <param name="Since">When its batch started.</param>
public sealed record CapacityRequest(string Instance, int Part, long Requests, BatchPriority Priority, DateTimeOffset Since);

/// <summary>What Mistral lists as pending in the whole workspace.</summary>
/// <param name="Requests">Requests not yet completed in queued, running and cancelling jobs, anyone's, as Mistral counts them.</param>
/// <param name="Counted">Parts of our batches whose jobs Mistral lists with their requests counted.</param>
/// <param name="ListedAt">When the listing began.</param>
/// <param name="Uncounted">
/// Parts of our batches whose jobs Mistral lists without a count yet: a queued job reports <c>total_requests</c> 0
/// until it starts, so its grant goes on counting here.
/// </param>
public sealed record WorkspacePending(long Requests, IReadOnlySet<(string Instance, int Part)> Counted, DateTimeOffset ListedAt, IReadOnlySet<(string Instance, int Part)>? Uncounted = null);

/// <summary>The answer to a part asking for capacity.</summary>
/// <param name="Granted">Whether its job may be created now.</param>
/// <param name="Ahead">Requests that must end, or be served first, before it fits (0 when granted).</param>
/// <param name="Used">Requests pending in the workspace, with those granted that Mistral does not show yet.</param>
/// <param name="Limit">The workspace's limit.</param>
/// <param name="Position">Parts before it in the queue.</param>
public sealed record CapacityAdmission(bool Granted, long Ahead, long Used, long Limit, int Position)
{
    /// <summary>The waiting state in words, for the status.</summary>
    public string Describe() => string.Create(
        System.Globalization.CultureInfo.InvariantCulture,
        $"Waiting for workspace capacity: {Ahead:N0} requests ahead ({Used:N0} of {Limit:N0} pending in the workspace; {Position} part(s) before this one in the queue).");
}

/// <summary>The rules of the ledger, without storage or Mistral: how a part is granted capacity or queued.</summary>
public static class CapacityRules
{
    /// <summary>How long a grant whose job was never created still counts (a create in flight, or its host gone).</summary>
    public static readonly TimeSpan UnseenGrantLifetime = TimeSpan.FromMinutes(10);

    /// <summary>
    /// How long before a listing a job must have been created for the listing not showing it to mean it has ended:
    /// the hosts' clocks differ a little, and a job made while the list was read may not be in it.
    /// </summary>
    public static readonly TimeSpan ListingMargin = TimeSpan.FromSeconds(3);

    /// <summary>
    /// <paramref name="ledger"/> after <paramref name="request"/> asked, and the answer. The queue is ordered by
    /// priority, then the batch's start; from its head, every waiter that fits under <paramref name="limit"/> with
    /// what is pending and granted is granted, up to the first that does not. A part alone in an empty workspace
    /// is granted whatever its size, so that nothing waits forever. Waiters not refreshed within
    /// <paramref name="waiterLifetime"/> leave the queue.
    /// </summary>
    public static (CapacityLedger Ledger, CapacityAdmission Admission) Admit(
        CapacityLedger ledger, WorkspacePending pending, CapacityRequest request, long limit, DateTimeOffset now, TimeSpan waiterLifetime)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentNullException.ThrowIfNull(pending);
        ArgumentNullException.ThrowIfNull(request);

        // A grant's job once counted by Mistral is Mistral's to count, and once no longer listed it has ended; a job
        // listed before it is counted (queued) is still ours to count, however long it queues.
        var grants = new List<CapacityGrant>();
        foreach (var grant in ledger.Grants)
        {
            var key = (grant.Instance, grant.Part);
            if (pending.Counted.Contains(key))
            {
                grants.Add(grant with { Seen = true });
            }
            else if (pending.Uncounted?.Contains(key) == true)
            {
                grants.Add(grant with { Seen = false, GrantedAt = now });
            }
            else if (!grant.Seen && (grant.CreatedAt is { } created ? created > pending.ListedAt - ListingMargin : now - grant.GrantedAt < UnseenGrantLifetime))
            {
                // Not listed: a create still to come or just made counts; a job made long before the listing and
                // not in it has ended (a short job can start and end between two listings).
                grants.Add(grant);
            }
        }

        var used = pending.Requests + grants.Where(g => !g.Seen).Sum(g => g.Requests);
        if (grants.Any(g => g.Instance == request.Instance && g.Part == request.Part))
        {
            return (new CapacityLedger(grants, ledger.Waiters.Where(w => !Is(w, request)).ToList()), new CapacityAdmission(true, 0, used, limit, 0));
        }

        var since = ledger.Waiters.FirstOrDefault(w => Is(w, request))?.Since ?? request.Since;
        var waiters = ledger.Waiters
            .Where(w => !Is(w, request) && now - w.SeenAt < waiterLifetime)
            .Append(new CapacityWaiter(request.Instance, request.Part, request.Requests, request.Priority, since, now))
            .OrderBy(w => w.Priority)
            .ThenBy(w => w.Since)
            .ThenBy(w => w.Instance, StringComparer.Ordinal)
            .ThenBy(w => w.Part)
            .ToList();
        // Served in order while they fit: the whole head of the queue that fits is granted at once, on behalf of
        // waiters that will find their grant when they next ask, so that freed capacity is not left idle until
        // each of them looks again. The first that does not fit stops the queue (first come, first served).
        var served = 0;
        var granted = used;
        while (served < waiters.Count && (granted + waiters[served].Requests <= limit || granted == 0))
        {
            var waiter = waiters[served++];
            grants.Add(new CapacityGrant(waiter.Instance, waiter.Part, waiter.Requests, now));
            granted += waiter.Requests;
        }

        var remaining = waiters.Skip(served).ToList();
        var position = remaining.FindIndex(w => Is(w, request));
        if (position < 0)
        {
            return (new CapacityLedger(grants, remaining), new CapacityAdmission(true, 0, used, limit, 0));
        }

        var before = remaining.Take(position).Sum(w => w.Requests);
        var ahead = Math.Max(before, granted + before + request.Requests - limit);
        return (new CapacityLedger(grants, remaining), new CapacityAdmission(false, ahead, granted, limit, position));
    }

    /// <summary><paramref name="ledger"/> once the job of <paramref name="instance"/>'s part <paramref name="part"/> was created at <paramref name="now"/>.</summary>
    public static CapacityLedger Created(CapacityLedger ledger, string instance, int part, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        return ledger with { Grants = [.. ledger.Grants.Select(g => g.Instance == instance && g.Part == part && g.CreatedAt is null ? g with { CreatedAt = now } : g)] };
    }

    private static bool Is(CapacityWaiter waiter, CapacityRequest request) => waiter.Instance == request.Instance && waiter.Part == request.Part;
}
