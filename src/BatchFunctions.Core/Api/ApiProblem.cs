namespace BatchFunctions.Core.Api;

/// <summary>An RFC 9457 problem details document, as both hosts write their errors.</summary>
/// <param name="Type">A URI naming the kind of problem; <c>about:blank</c> when the status says it all.</param>
/// <param name="Title">A short summary of the kind of problem.</param>
/// <param name="Status">The HTTP status.</param>
/// <param name="Detail">What went wrong this time, and what to do about it.</param>
/// <param name="Errors">Each problem found, when there were several.</param>
public sealed record ApiProblem(string Type, string Title, int Status, string? Detail, IReadOnlyList<string>? Errors = null);
