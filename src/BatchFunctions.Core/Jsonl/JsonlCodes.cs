namespace BatchFunctions.Core.Jsonl;

/// <summary>The stable codes of <see cref="JsonlIssue"/>.</summary>
public static class JsonlCodes
{
    /// <summary>Error: the input has no request.</summary>
    public const string EmptyFile = "empty_file";

    /// <summary>Error: more requests than <see cref="JsonlValidationOptions.MaxRequests"/>.</summary>
    public const string TooManyRequests = "too_many_requests";

    /// <summary>Error: a line longer than <see cref="JsonlValidationOptions.MaxLineBytes"/>.</summary>
    public const string LineTooLong = "line_too_long";

    /// <summary>Error: a line that is not valid UTF-8.</summary>
    public const string InvalidUtf8 = "invalid_utf8";

    /// <summary>Error: a line that is not valid JSON.</summary>
    public const string InvalidJson = "invalid_json";

    /// <summary>Error: a line that is JSON but not an object.</summary>
    public const string NotAnObject = "not_an_object";

    /// <summary>Error: no custom_id.</summary>
    public const string MissingCustomId = "missing_custom_id";

    /// <summary>Error: a custom_id that is not a non-empty string within the length limit.</summary>
    public const string InvalidCustomId = "invalid_custom_id";

    /// <summary>Error: a custom_id used by an earlier line.</summary>
    public const string DuplicateCustomId = "duplicate_custom_id";

    /// <summary>Error: no body.</summary>
    public const string MissingBody = "missing_body";

    /// <summary>Error: a body, or a field the endpoint requires, of the wrong shape.</summary>
    public const string InvalidField = "invalid_field";

    /// <summary>Error: a field the endpoint requires is absent.</summary>
    public const string MissingField = "missing_field";

    /// <summary>Warning: the file starts with a UTF-8 byte order mark.</summary>
    public const string ByteOrderMark = "byte_order_mark";

    /// <summary>Warning: lines end with CRLF.</summary>
    public const string CrlfLineEndings = "crlf_line_endings";

    /// <summary>Warning: a blank line (skipped).</summary>
    public const string BlankLine = "blank_line";

    /// <summary>Warning: the last line has no newline.</summary>
    public const string MissingFinalNewline = "missing_final_newline";

    /// <summary>Warning: a body names another model than the job's.</summary>
    public const string ModelConflict = "model_conflict";

    /// <summary>Warning: OpenAI batch keys (<c>method</c>, <c>url</c>) that Mistral does not use.</summary>
    public const string OpenAiKeys = "openai_keys";

    /// <summary>Warning: a top-level key other than custom_id and body.</summary>
    public const string UnknownField = "unknown_field";
}
