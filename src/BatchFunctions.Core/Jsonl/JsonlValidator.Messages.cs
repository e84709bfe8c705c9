using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace BatchFunctions.Core.Jsonl;

/// <summary>The checks of a chat body's messages and of the fields an endpoint requires.</summary>
public static partial class JsonlValidator
{
    private sealed partial class LineChecker
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        internal void CheckMessages(ref JsonTokenizer reader, long number)
        {
            if (reader.TokenType != JsonTokenType.StartArray)
            {
                var kind = Describe(reader.TokenType);
                reader.Skip();
                Error(number, "body.messages", JsonlCodes.InvalidField, $"body.messages must be a non-empty array, not {kind}.");
                return;
            }

            var index = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                CheckMessage(ref reader, number, index++);
            }

            if (index == 0)
            {
                Error(number, "body.messages", JsonlCodes.InvalidField, "body.messages must not be empty.");
            }
        }

        internal void CheckPresent(ref JsonTokenizer reader, long number, string field, bool stringAllowed, bool arrayAllowed, bool objectAllowed)
        {
            var ok = reader.TokenType switch
            {
                JsonTokenType.String => stringAllowed,
                JsonTokenType.StartArray => arrayAllowed,
                JsonTokenType.StartObject => objectAllowed,
                _ => false,
            };
            var kind = Describe(reader.TokenType);
            batch[_current].PromptBytes += reader.SkipCountingStrings();
            if (!ok)
            {
                var expected = string.Join(" or ", new[] { stringAllowed ? "a string" : null, arrayAllowed ? "an array" : null, objectAllowed ? "an object" : null }.Where(e => e is not null));
                Error(number, $"body.{field}", JsonlCodes.InvalidField, $"body.{field} must be {expected}, not {kind}.");
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private void CheckMessage(ref JsonTokenizer reader, long number, int index)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                var kind = Describe(reader.TokenType);
                reader.Skip();
                Error(number, Path(index, null), JsonlCodes.InvalidField, $"{Path(index, null)} must be an object with role and content, not {kind}.");
                return;
            }

            batch[_current].Messages++;
            var hasRole = false;
            var hasContent = false;
            var hasToolCalls = false;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("role"u8))
                {
                    reader.Read();
                    hasRole = true;
                    if (reader.TokenType != JsonTokenType.String)
                    {
                        Error(number, Path(index, "role"), JsonlCodes.InvalidField, $"{Path(index, "role")} must be a string such as \"user\".");
                    }
                }
                else if (reader.ValueTextEquals("content"u8))
                {
                    reader.Read();
                    hasContent = true;
                    if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.StartArray or JsonTokenType.Null))
                    {
                        Error(number, Path(index, "content"), JsonlCodes.InvalidField, $"{Path(index, "content")} must be a string or an array of parts.");
                    }

                    batch[_current].PromptBytes += reader.SkipCountingStrings();
                    continue;
                }
                else
                {
                    hasToolCalls |= reader.ValueTextEquals("tool_calls"u8);
                    reader.Read();
                }

                reader.Skip();
            }

            if (!hasRole)
            {
                Error(number, Path(index, "role"), JsonlCodes.MissingField, $"{Path(index, "role")} is required.");
            }

            if (!hasContent && !hasToolCalls)
            {
                Error(number, Path(index, "content"), JsonlCodes.MissingField, $"{Path(index, "content")} is required.");
            }
        }

        private static string Path(int index, string? field) =>
            field is null
                ? string.Create(CultureInfo.InvariantCulture, $"body.messages[{index}]")
                : string.Create(CultureInfo.InvariantCulture, $"body.messages[{index}].{field}");

        private static string Describe(JsonTokenType token) => token switch
        {
            JsonTokenType.StartArray => "an array",
            JsonTokenType.StartObject => "an object",
            JsonTokenType.String => "a string",
            JsonTokenType.Number => "a number",
            JsonTokenType.True or JsonTokenType.False => "a boolean",
            JsonTokenType.Null => "null",
            _ => token.ToString(),
        };

    }
}
