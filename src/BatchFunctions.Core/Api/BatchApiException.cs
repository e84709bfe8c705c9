using System.Net;

namespace BatchFunctions.Core.Api;

/// <summary>The BatchFunctions HTTP API (a runner or a Function App) answered with an error.</summary>
public sealed class BatchApiException : Exception
{
    /// <summary>Creates the exception.</summary>
    public BatchApiException()
    {
    }

    /// <summary>Creates the exception.</summary>
    public BatchApiException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public BatchApiException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Creates the exception from an answer's status and problem details.</summary>
    public BatchApiException(HttpStatusCode status, string? title, string? detail)
        : base($"{(int)status} {title ?? status.ToString()}{(detail is null ? string.Empty : ": " + detail)}")
    {
        Status = status;
        Title = title;
        Detail = detail;
    }

    /// <summary>The HTTP status.</summary>
    public HttpStatusCode Status { get; }

    /// <summary>The problem's title.</summary>
    public string? Title { get; }

    /// <summary>The problem's detail.</summary>
    public string? Detail { get; }
}
