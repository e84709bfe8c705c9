using System.Text;
using BatchFunctions.Core.Mistral;

namespace BatchFunctions.Core.Jsonl;

/// <summary>The body field each endpoint requires.</summary>
public static partial class JsonlValidator
{
    /// <summary>The body field an endpoint requires, and how it is checked.</summary>
    private sealed class EndpointRule
    {
        private static readonly EndpointRule None = new(null, null, Kind.Any);

        private EndpointRule(string? name, byte[]? field, Kind kind)
        {
            Name = name;
            Field = field;
            RuleKind = kind;
        }

        private enum Kind
        {
            Any,
            Messages,
            StringOrArray,
            String,
            Object,
            Array,
            ObjectOrArray,
        }

        public string? Name { get; }

        public byte[]? Field { get; }

        private Kind RuleKind { get; }

        public static EndpointRule For(ApiEndpoint? endpoint)
        {
            if (endpoint is not { } value)
            {
                return None;
            }

            if (value == ApiEndpoint.ChatCompletions)
            {
                return Create("messages", Kind.Messages);
            }

            // The chat moderation and chat classification endpoints take `input` (the official SDKs send it so):
            // a list of messages or of conversations, and one `{"messages": [...]}` object or a list of them.
            if (value == ApiEndpoint.ChatModerations)
            {
                return Create("input", Kind.Array);
            }

            if (value == ApiEndpoint.ChatClassifications)
            {
                return Create("input", Kind.ObjectOrArray);
            }

            if (value == ApiEndpoint.Embeddings || value == ApiEndpoint.Moderations || value == ApiEndpoint.Classifications)
            {
                return Create("input", Kind.StringOrArray);
            }

            if (value == ApiEndpoint.FimCompletions)
            {
                return Create("prompt", Kind.String);
            }

            if (value == ApiEndpoint.Ocr)
            {
                return Create("document", Kind.Object);
            }

            return value == ApiEndpoint.Conversations ? Create("inputs", Kind.StringOrArray) : None;
        }

        public void Check(LineChecker run, ref JsonTokenizer reader, long number)
        {
            switch (RuleKind)
            {
                case Kind.Messages:
                    run.CheckMessages(ref reader, number);
                    break;
                case Kind.StringOrArray:
                    run.CheckPresent(ref reader, number, Name!, stringAllowed: true, arrayAllowed: true, objectAllowed: false);
                    break;
                case Kind.String:
                    run.CheckPresent(ref reader, number, Name!, stringAllowed: true, arrayAllowed: false, objectAllowed: false);
                    break;
                case Kind.Object:
                    run.CheckPresent(ref reader, number, Name!, stringAllowed: false, arrayAllowed: false, objectAllowed: true);
                    break;
                case Kind.Array:
                    run.CheckPresent(ref reader, number, Name!, stringAllowed: false, arrayAllowed: true, objectAllowed: false);
                    break;
                case Kind.ObjectOrArray:
                    run.CheckPresent(ref reader, number, Name!, stringAllowed: false, arrayAllowed: true, objectAllowed: true);
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }

        private static EndpointRule Create(string name, Kind kind) => new(name, Encoding.UTF8.GetBytes(name), kind);
    }
}
