using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace BatchFunctions.MistralEmulator;

/// <summary>
/// A deterministic stand-in for Mistral's models: the same request always gets the same answer, with
/// usage computed from the input, so tests can check outputs exactly.
/// </summary>
internal static class FakeModel
{
    /// <summary>Why the body is invalid for the endpoint, or null when it is valid.</summary>
    public static string? Validate(string endpoint, JsonElement body, string? model, bool isAgentJob)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            return "body must be a JSON object";
        }

        if (model is null && !isAgentJob)
        {
            return "model: a model is required, on the job or in the request body";
        }

        if (body.TryGetProperty("max_tokens", out var maxTokens) && (!maxTokens.TryGetInt32(out var max) || max < 0))
        {
            return "max_tokens: must be a non-negative integer";
        }

        return endpoint switch
        {
            "/v1/chat/completions" => ValidateMessages(body),
            "/v1/chat/moderations" => body.TryGetProperty("input", out var conversations) && conversations.ValueKind == JsonValueKind.Array
                ? null
                : "input: a list of messages or a list of conversations is required",
            "/v1/chat/classifications" => body.TryGetProperty("input", out var chats) && chats.ValueKind is JsonValueKind.Object or JsonValueKind.Array
                ? null
                : "input: an object with messages, or a list of them, is required",
            "/v1/embeddings" or "/v1/moderations" or "/v1/classifications" => ValidateInput(body, "input"),
            "/v1/fim/completions" => body.TryGetProperty("prompt", out var prompt) && prompt.ValueKind == JsonValueKind.String
                ? null
                : "prompt: a string is required",
            "/v1/ocr" => body.TryGetProperty("document", out var document) && document.ValueKind == JsonValueKind.Object
                ? null
                : "document: an object is required",
            "/v1/conversations" => body.TryGetProperty("inputs", out var inputs) && inputs.ValueKind is JsonValueKind.String or JsonValueKind.Array
                ? null
                : "inputs: a string or a list of entries is required",
            "/v1/audio/transcriptions" => body.TryGetProperty("file_url", out _) || body.TryGetProperty("file_id", out _)
                ? null
                : "file_url or file_id is required",
            _ => null,
        };
    }

    /// <summary>Writes the endpoint's response body for a valid request.</summary>
    public static void WriteResponse(Utf8JsonWriter writer, string endpoint, JsonElement body, string model, string seed, long created)
    {
        var id = Hex(seed, 16);
        switch (endpoint)
        {
            case "/v1/chat/completions":
            case "/v1/fim/completions":
                WriteCompletion(writer, body, model, seed, id, created);
                break;
            case "/v1/embeddings":
                WriteEmbeddings(writer, body, model, id);
                break;
            case "/v1/moderations":
            case "/v1/chat/moderations":
                WriteModeration(writer, body, model, id);
                break;
            case "/v1/classifications":
            case "/v1/chat/classifications":
                WriteClassification(writer, body, model, id);
                break;
            case "/v1/conversations":
                WriteConversation(writer, body, model, seed, id, created);
                break;
            case "/v1/audio/transcriptions":
                writer.WriteStartObject();
                writer.WriteString("model", model);
                writer.WriteString("text", $"Emulated transcription {id[..8]}");
                writer.WriteNull("language");
                writer.WriteStartArray("segments");
                writer.WriteEndArray();
                WriteUsage(writer, 0, 4);
                writer.WriteEndObject();
                break;
            case "/v1/ocr":
                writer.WriteStartObject();
                writer.WriteString("model", model);
                writer.WriteStartArray("pages");
                writer.WriteStartObject();
                writer.WriteNumber("index", 0);
                writer.WriteString("markdown", $"# Emulated page {id[..8]}");
                writer.WriteStartArray("images");
                writer.WriteEndArray();
                writer.WriteNull("dimensions");
                writer.WriteEndObject();
                writer.WriteEndArray();
                writer.WriteStartObject("usage_info");
                writer.WriteNumber("pages_processed", 1);
                writer.WriteNull("doc_size_bytes");
                writer.WriteEndObject();
                writer.WriteEndObject();
                break;
            default:
                writer.WriteStartObject();
                writer.WriteString("id", id);
                writer.WriteString("object", endpoint.TrimStart('/').Replace('/', '.'));
                writer.WriteString("model", model);
                writer.WriteNumber("created", created);
                writer.WriteEndObject();
                break;
        }
    }

    private static string? ValidateMessages(JsonElement body)
    {
        if (!body.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array || messages.GetArrayLength() == 0)
        {
            return "messages: a non-empty list is required";
        }

        var index = 0;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind != JsonValueKind.Object
                || !message.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String
                || !message.TryGetProperty("content", out _))
            {
                return $"messages.{index}: an object with role and content is required";
            }

            index++;
        }

        return null;
    }

    /// <summary>One result per input item: per string, per conversation (a list of messages is one), per chat object.</summary>
    private static int ResultCount(JsonElement body)
    {
        if (!body.TryGetProperty("input", out var input) || input.ValueKind != JsonValueKind.Array || input.GetArrayLength() == 0)
        {
            return 1;
        }

        // A chat moderation's input is either one conversation (a list of message objects) or a list of them.
        var first = input[0];
        return first.ValueKind == JsonValueKind.Object && first.TryGetProperty("role", out _) ? 1 : input.GetArrayLength();
    }

    private static string? ValidateInput(JsonElement body, string name) =>
        body.TryGetProperty(name, out var input) && input.ValueKind is JsonValueKind.String or JsonValueKind.Array
            ? null
            : $"{name}: a string or a list is required";

    private static void WriteCompletion(Utf8JsonWriter writer, JsonElement body, string model, string seed, string id, long created)
    {
        var promptText = body.TryGetProperty("messages", out var messages) ? TextOf(messages) : body.TryGetProperty("prompt", out var prompt) ? TextOf(prompt) : string.Empty;
        var promptWords = promptText.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var reply = new List<string> { "Emulated", "answer", Hex(seed, 4) };
        reply.AddRange(promptWords.TakeLast(6));
        var finish = "stop";
        if (body.TryGetProperty("max_tokens", out var max) && max.TryGetInt32(out var maxTokens) && maxTokens >= 0 && maxTokens < reply.Count)
        {
            reply = reply.Take(maxTokens).ToList();
            finish = "length";
        }

        var promptTokens = promptWords.Length + (messages.ValueKind == JsonValueKind.Array ? messages.GetArrayLength() : 1);
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("object", "chat.completion");
        writer.WriteString("model", model);
        writer.WriteNumber("created", created);
        WriteUsage(writer, promptTokens, reply.Count);
        writer.WriteStartArray("choices");
        writer.WriteStartObject();
        writer.WriteNumber("index", 0);
        writer.WriteString("finish_reason", finish);
        writer.WriteStartObject("message");
        writer.WriteString("role", "assistant");
        writer.WriteString("content", string.Join(' ', reply));
        writer.WriteNull("tool_calls");
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteEmbeddings(Utf8JsonWriter writer, JsonElement body, string model, string id)
    {
        var input = body.GetProperty("input");
        var items = input.ValueKind == JsonValueKind.Array ? input.EnumerateArray().Select(TextOf).ToList() : [TextOf(input)];
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("object", "list");
        writer.WriteString("model", model);
        writer.WriteStartArray("data");
        for (var i = 0; i < items.Count; i++)
        {
            writer.WriteStartObject();
            writer.WriteString("object", "embedding");
            writer.WriteNumber("index", i);
            writer.WriteStartArray("embedding");
            foreach (var value in Vector(items[i]))
            {
                writer.WriteNumberValue(value);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        var tokens = items.Sum(item => item.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        WriteUsage(writer, tokens, 0);
        writer.WriteEndObject();
    }

    private static void WriteModeration(Utf8JsonWriter writer, JsonElement body, string model, string id)
    {
        var count = ResultCount(body);
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("model", model);
        writer.WriteStartArray("results");
        for (var i = 0; i < count; i++)
        {
            writer.WriteStartObject();
            writer.WriteStartObject("categories");
            writer.WriteBoolean("sexual", false);
            writer.WriteBoolean("hate_and_discrimination", false);
            writer.WriteBoolean("violence_and_threats", false);
            writer.WriteEndObject();
            writer.WriteStartObject("category_scores");
            writer.WriteNumber("sexual", 0.001);
            writer.WriteNumber("hate_and_discrimination", 0.001);
            writer.WriteNumber("violence_and_threats", 0.001);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>The classifier's shape: per input, a map from target name to that target's label scores.</summary>
    private static void WriteClassification(Utf8JsonWriter writer, JsonElement body, string model, string id)
    {
        var count = ResultCount(body);
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("model", model);
        writer.WriteStartArray("results");
        for (var i = 0; i < count; i++)
        {
            writer.WriteStartObject();
            writer.WriteStartObject("label");
            writer.WriteStartObject("scores");
            writer.WriteNumber("positive", 0.75);
            writer.WriteNumber("negative", 0.25);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    /// <summary>A conversation answer: one assistant message entry, as the Conversations API returns it.</summary>
    private static void WriteConversation(Utf8JsonWriter writer, JsonElement body, string model, string seed, string id, long created)
    {
        var words = TextOf(body.GetProperty("inputs")).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var reply = string.Join(' ', new[] { "Emulated", "answer", Hex(seed, 4) }.Concat(words.TakeLast(6)));
        var at = DateTimeOffset.FromUnixTimeSeconds(created).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        writer.WriteStartObject();
        writer.WriteString("object", "conversation.response");
        writer.WriteString("conversation_id", $"conv_{id}");
        writer.WriteStartArray("outputs");
        writer.WriteStartObject();
        writer.WriteString("object", "entry");
        writer.WriteString("type", "message.output");
        writer.WriteString("created_at", at);
        writer.WriteString("completed_at", at);
        writer.WriteString("model", model);
        writer.WriteString("id", $"msg_{id}");
        writer.WriteString("role", "assistant");
        writer.WriteString("content", reply);
        writer.WriteEndObject();
        writer.WriteEndArray();
        WriteUsage(writer, words.Length, reply.Split(' ').Length);
        writer.WriteEndObject();
    }

    private static void WriteUsage(Utf8JsonWriter writer, int prompt, int completion)
    {
        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", prompt);
        writer.WriteNumber("completion_tokens", completion);
        writer.WriteNumber("total_tokens", prompt + completion);
        writer.WriteEndObject();
    }

    /// <summary>All string content of a value, joined by spaces (message contents, text parts, prompts).</summary>
    private static string TextOf(JsonElement element)
    {
        var builder = new StringBuilder();
        Collect(element, builder);
        return builder.ToString();

        static void Collect(JsonElement element, StringBuilder builder)
        {
            switch (element.ValueKind)
            {
                case JsonValueKind.String:
                    builder.Append(element.GetString()).Append(' ');
                    break;
                case JsonValueKind.Array:
                    foreach (var item in element.EnumerateArray())
                    {
                        Collect(item, builder);
                    }

                    break;
                case JsonValueKind.Object:
                    foreach (var property in element.EnumerateObject())
                    {
                        if (property.Name is "content" or "text")
                        {
                            Collect(property.Value, builder);
                        }
                    }

                    break;
                default:
                    break;
            }
        }
    }

    private static double[] Vector(string text)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(text));
        var vector = new double[8];
        for (var i = 0; i < vector.Length; i++)
        {
            vector[i] = (BitConverter.ToInt32(hash, i * 4) / (double)int.MaxValue);
        }

        var norm = Math.Sqrt(vector.Sum(v => v * v));
        return [.. vector.Select(v => Math.Round(v / norm, 6))];
    }

    public static string Hex(string seed, int bytes) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(seed)).AsSpan(0, bytes));
}
