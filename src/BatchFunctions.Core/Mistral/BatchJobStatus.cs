using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Mistral;

/// <summary>The status of a batch job. Open: unknown values are kept, not rejected.</summary>
[JsonConverter(typeof(OpenValueJsonConverter<BatchJobStatus>))]
public readonly record struct BatchJobStatus : IOpenValue<BatchJobStatus>
{
    private readonly string? _value;

    /// <summary>Wraps a wire value.</summary>
    public BatchJobStatus(string value) => _value = value;

    /// <summary><c>QUEUED</c>.</summary>
    public static BatchJobStatus Queued { get; } = new("QUEUED");

    /// <summary><c>RUNNING</c>.</summary>
    public static BatchJobStatus Running { get; } = new("RUNNING");

    /// <summary><c>SUCCESS</c>.</summary>
    public static BatchJobStatus Success { get; } = new("SUCCESS");

    /// <summary><c>FAILED</c>.</summary>
    public static BatchJobStatus Failed { get; } = new("FAILED");

    /// <summary><c>TIMEOUT_EXCEEDED</c>.</summary>
    public static BatchJobStatus TimeoutExceeded { get; } = new("TIMEOUT_EXCEEDED");

    /// <summary><c>CANCELLATION_REQUESTED</c>.</summary>
    public static BatchJobStatus CancellationRequested { get; } = new("CANCELLATION_REQUESTED");

    /// <summary><c>CANCELLED</c>.</summary>
    public static BatchJobStatus Cancelled { get; } = new("CANCELLED");

    /// <summary>Whether the job has stopped for good: SUCCESS, FAILED, TIMEOUT_EXCEEDED or CANCELLED.
    /// CANCELLATION_REQUESTED is not terminal: the job may still write outputs.</summary>
    public bool IsTerminal => this == Success || this == Failed || this == TimeoutExceeded || this == Cancelled;

    /// <inheritdoc />
    public string Value => _value ?? string.Empty;

    /// <inheritdoc />
    public static BatchJobStatus FromValue(string value) => new(value);

    /// <inheritdoc />
    public override string ToString() => Value;
}
