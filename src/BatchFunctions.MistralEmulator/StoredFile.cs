namespace BatchFunctions.MistralEmulator;

/// <summary>A file the emulator holds: its description, and its content on disk.</summary>
internal sealed record StoredFile
{
    public required string Id { get; init; }

    public required string Filename { get; init; }

    public required string Purpose { get; init; }

    public required string SampleType { get; init; }

    public required string Source { get; init; }

    public required string Path { get; init; }

    public required long Bytes { get; init; }

    public required long NumLines { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    public string? Mimetype { get; init; }

    public string? Signature { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public string? Visibility { get; init; }

    public FileDto ToDto(bool withDeleted = false) => new(
        Id,
        "file",
        Bytes,
        CreatedAt.ToUnixTimeSeconds(),
        Filename,
        Purpose,
        SampleType,
        Source,
        NumLines,
        Mimetype,
        Signature,
        ExpiresAt?.ToUnixTimeSeconds(),
        Visibility,
        withDeleted ? false : null);
}
