using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using BatchFunctions.Core.Jsonl;

namespace BatchFunctions.Core.Tests.Jsonl;

/// <summary>The tokenizer is held to <see cref="Utf8JsonReader"/>: same tokens for what it accepts, a refusal for what it refuses.</summary>
public sealed class JsonTokenizerTests
{
    private const int Depth = 256;

    private static readonly string[] Seeds =
    [
        """{"custom_id":"req-1","body":{"model":"m","max_tokens":256,"temperature":0.2,"messages":[{"role":"user","content":"a \"quoted\" word\nand a tab\t, café, \u00e9 \ud83d\ude00 \\ \/"}]}}""",
        """{"a":[1,-0,0.5,-12.5e+3,4E-2,1e9,true,false,null,{},[],"",[[{"b":{}}]]],"\u0061":"\b\f\r"}""",
        """  [ 1 , "x" , { "k" : [ ] } ]  """,
        "\"just a string\"",
        "-0.0e0",
        "{\"\\\"name\\\"\":\"v\"}",
    ];

    /// <summary>Hand-picked texts either reader might get wrong.</summary>
    public static TheoryData<string> Edges => new()
    {
        "", " ", "{", "}", "[", "]", "{}", "[]", "{} {}", "{},", "[1,]", "{\"a\":1,}", "[,1]", "{\"a\" 1}", "{\"a\":}", "{a:1}", "{'a':1}",
        "01", "-", "-01", "1.", ".5", "1e", "1e+", "+1", "1.5e3.2", "0x10", "NaN", "Infinity", "tru", "true1", "nul", "null ", "1 2",
        "\"\\x\"", "\"\\u12\"", "\"\\u12G4\"", "\"\\uD800\"", "\"a\tb\"", "\"a\u0001b\"", "\"\\", "\"abc", "[\"a\"\"b\"]", "{\"a\":1\"b\":2}",
        "[1]]", "{\"a\":[}]", "[{]}", "\t\r\n[\n]\r\n", "// comment\n{}", "{} // c", "[1,2]/", "[1 ,2 ]", "{\"a\":-}", "{\"a\":-x}",
        "[1e5,2E+5,3e-5,0.0,-0.0,123456789012345678901234567890]", new string('[', Depth) + new string(']', Depth),
        new string('[', Depth + 1) + new string(']', Depth + 1), new string('[', Depth) + "{\"a\":1}" + new string(']', Depth),
    };

    [Theory]
    [MemberData(nameof(Edges))]
    public void Read_EdgeText_SameAsUtf8JsonReader(string text) => AssertSame(Encoding.UTF8.GetBytes(text));

    [Fact]
    public void Read_EveryPrefixOfSeeds_SameAsUtf8JsonReader()
    {
        foreach (var seed in Seeds)
        {
            var bytes = Encoding.UTF8.GetBytes(seed);
            for (var length = 0; length <= bytes.Length; length++)
            {
                AssertSame(bytes.AsSpan(0, length).ToArray());
            }
        }
    }

    [Fact]
    public void Read_SeedsWithOneByteChangedOrRemoved_SameAsUtf8JsonReader()
    {
        var replacements = "\"\\,:{}[] \t\nx0-.eEu/\u0001"u8.ToArray();
        var compared = 0;
        foreach (var seed in Seeds)
        {
            var bytes = Encoding.UTF8.GetBytes(seed);
            for (var at = 0; at < bytes.Length; at++)
            {
                var removed = bytes.Take(at).Concat(bytes.Skip(at + 1)).ToArray();
                compared += AssertSame(removed) ? 1 : 0;
                foreach (var replacement in replacements)
                {
                    var changed = (byte[])bytes.Clone();
                    changed[at] = replacement;
                    compared += AssertSame(changed) ? 1 : 0;
                }
            }
        }

        // Most mutants are valid UTF-8 and so compared; a mistake above that skipped them all would pass vacuously.
        Assert.True(compared > 5000, $"only {compared} texts compared");
    }

    [Fact]
    public void Skip_AtEveryToken_LandsWhereUtf8JsonReaderLands()
    {
        foreach (var seed in Seeds)
        {
            var bytes = Encoding.UTF8.GetBytes(seed);
            var count = Tokens(bytes, -1).Count;
            for (var skipAt = 0; skipAt < count; skipAt++)
            {
                Assert.Equal(ReferenceTokens(bytes, skipAt), Tokens(bytes, skipAt));
            }
        }
    }

    [Fact]
    public void IndexOfStringStop_EveryLengthAndPosition_SameAsIndexOfAnyOfThoseBytes()
    {
        var stops = SearchValues.Create([.. Enumerable.Range(0, 32).Select(b => (byte)b), (byte)'"', (byte)'\\']);
        var plain = "aé€ \x7F"u8.ToArray();
        for (var length = 0; length <= 100; length++)
        {
            var text = Enumerable.Range(0, length).Select(i => plain[i % plain.Length]).ToArray();
            Assert.Equal(-1, JsonTokenizer.IndexOfStringStop(text));
            for (var at = 0; at < length; at++)
            {
                foreach (var stop in new byte[] { (byte)'"', (byte)'\\', 0, 0x1F, (byte)'\n' })
                {
                    var changed = (byte[])text.Clone();
                    changed[at] = stop;
                    if (at + 3 < length)
                    {
                        changed[at + 3] = (byte)'"';
                    }

                    Assert.Equal(changed.AsSpan().IndexOfAny(stops), JsonTokenizer.IndexOfStringStop(changed));
                }
            }
        }
    }

    [Fact]
    public void ValueTextEquals_EscapedNameAndValue_ComparesTheDecodedText()
    {
        var json = """{"c\u0075stom_id":"\u00e9t\u00e9 \"x\""}"""u8;
        var reader = new JsonTokenizer(json);
        Assert.True(reader.Read());
        Assert.True(reader.Read());
        Assert.True(reader.ValueIsEscaped);
        Assert.True(reader.ValueTextEquals("custom_id"u8));
        Assert.False(reader.ValueTextEquals("c\\u0075stom_id"u8));
        Assert.True(reader.Read());
        Assert.Equal("été \"x\"", reader.GetString());
        var decoded = new byte[reader.ValueSpan.Length];
        Assert.Equal("été \"x\"", Encoding.UTF8.GetString(decoded, 0, reader.CopyString(decoded)));
    }

    [Fact]
    public void Read_InvalidText_ReportsWhereItStopped()
    {
        var error = Assert.Throws<JsonException>(() => Tokens("{\"a\":[1,2,}"u8.ToArray(), -1));
        Assert.Equal(10, error.BytePositionInLine);
    }

    /// <summary>Compares both readers on <paramref name="bytes"/>; false when the text is not UTF-8 (the validator refuses it before either reads it).</summary>
    private static bool AssertSame(byte[] bytes)
    {
        if (!Utf8.IsValid(bytes))
        {
            return false;
        }

        List<string>? expected;
        try
        {
            expected = ReferenceTokens(bytes, -1);
        }
        catch (JsonException)
        {
            expected = null;
        }

        List<string>? actual;
        try
        {
            actual = Tokens(bytes, -1);
        }
        catch (JsonException)
        {
            actual = null;
        }

        Assert.True(
            expected is null == actual is null,
            $"{Encoding.UTF8.GetString(bytes)}: Utf8JsonReader {(expected is null ? "refuses" : "accepts")} it, the tokenizer {(actual is null ? "refuses" : "accepts")} it");
        Assert.Equal(expected, actual);
        return true;
    }

    private static List<string> ReferenceTokens(byte[] bytes, int skipAt)
    {
        var tokens = new List<string>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { MaxDepth = Depth });
        while (reader.Read())
        {
            tokens.Add(Describe(reader.TokenType, reader.ValueSpan, reader.ValueIsEscaped));
            if (tokens.Count - 1 == skipAt)
            {
                reader.Skip();
                tokens.Add("skipped to " + Describe(reader.TokenType, reader.ValueSpan, reader.ValueIsEscaped));
            }
        }

        return tokens;
    }

    private static List<string> Tokens(byte[] bytes, int skipAt)
    {
        var tokens = new List<string>();
        var reader = new JsonTokenizer(bytes, Depth);
        while (reader.Read())
        {
            tokens.Add(Describe(reader.TokenType, reader.ValueSpan, reader.ValueIsEscaped));
            if (tokens.Count - 1 == skipAt)
            {
                reader.Skip();
                tokens.Add("skipped to " + Describe(reader.TokenType, reader.ValueSpan, reader.ValueIsEscaped));
            }
        }

        return tokens;
    }

    private static string Describe(JsonTokenType type, ReadOnlySpan<byte> value, bool escaped) =>
        type is JsonTokenType.String or JsonTokenType.PropertyName or JsonTokenType.Number
            ? $"{type} {Encoding.UTF8.GetString(value)}{(escaped ? " (escaped)" : string.Empty)}"
            : type.ToString();
}
