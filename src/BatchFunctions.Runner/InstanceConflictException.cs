namespace BatchFunctions.Runner;

/// <summary>Another runner changed the batch's record since it was read: this runner must not step it.</summary>
public sealed class InstanceConflictException : Exception
{
    /// <summary>Creates the exception.</summary>
    public InstanceConflictException()
        : base("The batch's state record changed since it was read.")
    {
    }

    /// <summary>Creates the exception.</summary>
    public InstanceConflictException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception.</summary>
    public InstanceConflictException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
