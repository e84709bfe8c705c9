using System.Text.Json.Serialization;

namespace BatchFunctions.Core.Storage;

/// <summary>What happens to an input once its batch is over.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ArchiveMode>))]
public enum ArchiveMode
{
    /// <summary>Move it to the archive container (the default).</summary>
    Archive,

    /// <summary>Delete it, when its batch succeeded (otherwise it is archived).</summary>
    Delete,

    /// <summary>Leave it where it is.</summary>
    Keep,
}
