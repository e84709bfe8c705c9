using BatchFunctions.Core.Workflow;

namespace BatchFunctions.Core.Api;

/// <summary>A page of <c>GET /api/batches</c>, newest first.</summary>
/// <param name="Batches">The batches of this page.</param>
/// <param name="Page">This page's number, from 0.</param>
/// <param name="PageSize">Batches per page.</param>
/// <param name="NextPage">The next page's number, or null when this is the last.</param>
public sealed record BatchList(IReadOnlyList<BatchStatus> Batches, int Page, int PageSize, int? NextPage);
