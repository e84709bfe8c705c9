using System.Globalization;

namespace BatchFunctions.Core.Api;

/// <summary>The paging of <c>GET /api/batches</c> (<c>page</c> from 0, <c>page_size</c>), read the same way by both hosts.</summary>
/// <param name="Page">The 0-based page.</param>
/// <param name="PageSize">Batches per page.</param>
public sealed record ListPaging(int Page, int PageSize)
{
    /// <summary>The largest page size.</summary>
    public const int MaxPageSize = 100;

    /// <summary>The last page that may be asked for: with the largest page size, a million batches.</summary>
    public const int MaxPage = 10_000;

    /// <summary>The default page size.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>How many batches come before the page.</summary>
    public int Skip => Page * PageSize;

    /// <summary>The paging in the query values, or why they cannot be used.</summary>
    public static (ListPaging? Paging, string? Error) Parse(string? page, string? pageSize)
    {
        var error = string.Create(CultureInfo.InvariantCulture, $"page must be a whole number from 0 to {MaxPage} and page_size from 1 to {MaxPageSize}.");
        if (!TryRead(page, 0, out var p) || p is < 0 or > MaxPage || !TryRead(pageSize, DefaultPageSize, out var s) || s is < 1 or > MaxPageSize)
        {
            return (null, error);
        }

        return (new ListPaging(p, s), null);
    }

    private static bool TryRead(string? text, int fallback, out int value)
    {
        value = fallback;
        return string.IsNullOrEmpty(text) || int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
