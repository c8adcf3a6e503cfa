using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Neurite.Tests.Fuzz;

/// <summary>
/// Mutates valid files into nearly valid ones, deterministically from a seed: bit flips, interesting bytes and
/// integers, truncation, inserted and deleted bytes, duplicated and reordered fields (chunks between JSON or CSV
/// delimiters), huge and odd numbers in place of a number, deep nesting, and splices of two files.
/// </summary>
internal sealed class Mutator(int seed)
{
    private readonly Random _random = new(seed);

    private static readonly byte[] InterestingBytes = [0, 1, 0x7f, 0x80, 0xff, 0xc3, (byte)' ', (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']',
        (byte)',', (byte)':', (byte)'\\', (byte)'\n', (byte)'\r', (byte)'-', (byte)'0', (byte)'9', (byte)'e', (byte)'.'];

    private static readonly long[] InterestingIntegers = [0, 1, -1, 2, 255, 256, 65535, 65536, int.MaxValue, int.MinValue, uint.MaxValue, long.MaxValue, long.MinValue, 100_000_000, 100_000_001];

    private static readonly string[] InterestingNumbers =
        ["0", "-0", "-1", "1e400", "-1e400", "1e-400", "99999999999999999999999", "2147483647", "2147483648", "4294967296",
         "18446744073709551615", "18446744073709551616", "-9223372036854775809", "0.5", "NaN", "Infinity", "1e9", "3.4028236e38", "007"];

    private static readonly byte[] Delimiters = "{}[],:\n\""u8.ToArray();

    public int Next(int max) => _random.Next(max);

    /// <summary>One to four mutations of <paramref name="input"/>; <paramref name="other"/> is for splicing.</summary>
    public byte[] Mutate(byte[] input, byte[] other)
    {
        var bytes = input;
        int count = 1 + _random.Next(4);
        for (int i = 0; i < count; i++)
        {
            bytes = MutateOnce(bytes, other);
        }
        return bytes;
    }

    private byte[] MutateOnce(byte[] b, byte[] other)
    {
        var list = new List<byte>(b);
        int Position(int extra = 0) => _random.Next(list.Count + extra);
        switch (_random.Next(12))
        {
            case 0 when list.Count > 0:
                list[Position()] ^= (byte)(1 << _random.Next(8));
                break;
            case 1 when list.Count > 0:
                list[Position()] = InterestingBytes[_random.Next(InterestingBytes.Length)];
                break;
            case 2:
                return b[.._random.Next(b.Length + 1)];
            case 3:
                {
                    var inserted = new byte[1 + _random.Next(16)];
                    _random.NextBytes(inserted);
                    list.InsertRange(Position(1), inserted);
                    break;
                }
            case 4 when list.Count > 0:
                {
                    int start = Position();
                    list.RemoveRange(start, Math.Min(list.Count - start, 1 + _random.Next(32)));
                    break;
                }
            case 5 when Segment(b) is { } field:
                list.InsertRange(_random.Next(2) == 0 ? field.End : Position(1), b[field.Start..field.End]); // a duplicated field, beside itself or elsewhere
                break;
            case 6 when Segment(b) is { } one && Segment(b) is { } two && (one.End <= two.Start || two.End <= one.Start):
                {
                    var (first, second) = one.End <= two.Start ? (one, two) : (two, one); // reordered fields
                    return [.. b[..first.Start], .. b[second.Start..second.End], .. b[first.End..second.Start], .. b[first.Start..first.End], .. b[second.End..]];
                }
            case 7 when Number(b) is { } number:
                return [.. b[..number.Start], .. Encoding.ASCII.GetBytes(InterestingNumbers[_random.Next(InterestingNumbers.Length)]), .. b[number.End..]];
            case 8:
                {
                    int depth = 64 + _random.Next(5000);
                    string open = _random.Next(2) == 0 ? "[" : "{\"a\":";
                    var nested = new StringBuilder().Insert(0, open, depth);
                    if (_random.Next(2) == 0)
                    {
                        nested.Append('1').Insert(nested.Length, open == "[" ? "]" : "}", depth);
                    }
                    list.InsertRange(Position(1), Encoding.ASCII.GetBytes(nested.ToString()));
                    break;
                }
            case 9 when list.Count >= 8:
                {
                    // An integer field of a binary header: 4 or 8 bytes, either byte order, at a position among the first 64.
                    int size = _random.Next(2) == 0 ? 4 : 8;
                    int at = _random.Next(Math.Min(64, list.Count - size + 1));
                    var value = BitConverter.GetBytes(InterestingIntegers[_random.Next(InterestingIntegers.Length)]);
                    if (_random.Next(2) == 0)
                    {
                        Array.Reverse(value);
                    }
                    for (int i = 0; i < size; i++)
                    {
                        list[at + i] = value[_random.Next(2) == 0 ? i : 8 - size + i];
                    }
                    break;
                }
            case 10 when other.Length > 0:
                return [.. b[.._random.Next(b.Length + 1)], .. other[_random.Next(other.Length + 1)..]];
            default:
                if (list.Count > 0)
                {
                    list[Position()] = (byte)_random.Next(256);
                }
                break;
        }
        return [.. list];
    }

    private static readonly string[] InterestingValues =
        ["-1", "0", "1", "2", "0.5", "1e9", "2147483648", "1e308", "-1e308", "99999999999999999999", "\"\"", "\"relu\"", "\"x\"", "true", "false", "null", "[]", "{}",
         "[0]", "[1, 2]", "[-1]", "[100000, 100000]", "{\"type\": \"linear\"}", "\"\\u0000\"", $"\"{LoneSurrogate}\"", "\"ünïcode\""];

    /// <summary>Stands for an escaped lone surrogate (\ud800), which a JSON tree cannot hold; put back after writing.</summary>
    private const string LoneSurrogate = "@lone-surrogate@";

    /// <summary>
    /// Mutates a JSON document as a tree, so that it stays JSON and reaches the checks behind the parser: removes a
    /// field or element, replaces a value by an odd one (another type, a huge or negative number, an empty list),
    /// copies a value into a sibling, renames a field, swaps elements, or wraps a value in deep nesting.
    /// Input that is not JSON gets a byte-level mutation.
    /// </summary>
    public byte[] MutateJson(byte[] input)
    {
        try
        {
            return MutateTree(input);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            // Not JSON, or JSON holding text no tree can (invalid UTF-8, a lone surrogate): an earlier reproducer.
            return Mutate(input, []);
        }
    }

    private byte[] MutateTree(byte[] input)
    {
        var root = JsonNode.Parse(input, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        var nodes = new List<JsonNode>();
        void Collect(JsonNode? node)
        {
            if (node is null)
            {
                return;
            }
            nodes.Add(node);
            foreach (var child in node switch { JsonObject o => o.Select(p => p.Value), JsonArray a => a, _ => [] })
            {
                Collect(child);
            }
        }
        Collect(root);
        var target = nodes[_random.Next(nodes.Count)];
        var parent = target.Parent;
        JsonNode Odd() => JsonNode.Parse(InterestingValues[_random.Next(InterestingValues.Length)])!;
        switch (parent is null ? 1 : _random.Next(6))
        {
            case 0 when parent is JsonObject o:
                o.Remove(target.GetPropertyName());
                break;
            case 0 when parent is JsonArray a:
                a.Remove(target);
                break;
            case 1 when target is JsonObject o && o.Count > 0:
                o[o.ElementAt(_random.Next(o.Count)).Key] = Odd();
                break;
            case 1 when target is JsonArray a && a.Count > 0:
                a[_random.Next(a.Count)] = Odd();
                break;
            case 2 when parent is JsonObject o:
                o[target.GetPropertyName()] = Odd();
                break;
            case 2 when parent is JsonArray a:
                a[a.IndexOf(target)] = Odd();
                break;
            case 3 when parent is JsonObject o:
                {
                    string name = target.GetPropertyName();
                    var value = target.DeepClone();
                    o.Remove(name);
                    string renamed = o.Count > 0 && _random.Next(2) == 0 ? o.ElementAt(_random.Next(o.Count)).Key : name + "_" + _random.Next(3);
                    o[renamed] = value;
                    break;
                }
            case 4 when parent is JsonArray a && a.Count > 1:
                {
                    int i = a.IndexOf(target), j = _random.Next(a.Count);
                    var (first, second) = (a[i]!.DeepClone(), a[j]?.DeepClone());
                    a[i] = second;
                    a[j] = first;
                    break;
                }
            case 4 when parent is JsonArray a:
                a.Add(target.DeepClone());
                break;
            case 5 when parent is JsonObject o:
                o[target.GetPropertyName()] = JsonNode.Parse(new StringBuilder().Insert(0, "[", 100).Append('1').Insert(101, "]", 100).ToString(),
                    documentOptions: new JsonDocumentOptions { MaxDepth = 256 });
                break;
            default:
                return Mutate(input, []);
        }
        return Encoding.UTF8.GetBytes(JsonSerializer.Serialize(root, DeepJson).Replace(LoneSurrogate, "\\ud800", StringComparison.Ordinal));
    }

    private static readonly JsonSerializerOptions DeepJson = new() { MaxDepth = 256 };

    /// <summary>One field of a protobuf message as the wire format has it; length-delimited ones that parse as messages have children.</summary>
    private sealed class ProtoField(int number, int wire, ulong value, byte[] bytes, List<ProtoField>? children)
    {
        public int Number { get; } = number;

        public int Wire { get; } = wire;

        public ulong Value { get; set; } = value;

        public byte[] Bytes { get; set; } = bytes;

        public List<ProtoField>? Children { get; } = children;
    }

    /// <summary>
    /// Mutates a protobuf message (an ONNX model) as a tree of fields and frames it again with correct lengths, so that
    /// the mutation reaches the checks behind the wire format: a varint replaced by an interesting integer (a dimension,
    /// a data type, an attribute's value), a string or byte field mutated, a field removed or duplicated.
    /// Input that does not parse as a message gets a byte-level mutation.
    /// </summary>
    public byte[] MutateProtobuf(byte[] input)
    {
        var root = ParseProto(input, 0);
        if (root is null || root.Count == 0)
        {
            return Mutate(input, []);
        }
        var all = new List<(List<ProtoField> Siblings, ProtoField Field)>();
        void Collect(List<ProtoField> fields)
        {
            foreach (var field in fields)
            {
                all.Add((fields, field));
                if (field.Children is { } children)
                {
                    Collect(children);
                }
            }
        }
        Collect(root);
        var (siblings, target) = all[_random.Next(all.Count)];
        switch (_random.Next(4))
        {
            case 0:
                siblings.Remove(target);
                break;
            case 1:
                siblings.Insert(siblings.IndexOf(target), target);
                break;
            default:
                if (target.Wire == 0)
                {
                    target.Value = (ulong)InterestingIntegers[_random.Next(InterestingIntegers.Length)];
                }
                else if (target.Children is { Count: > 0 } children)
                {
                    children.RemoveAt(_random.Next(children.Count));
                }
                else
                {
                    target.Bytes = Mutate(target.Bytes, []);
                }
                break;
        }
        return WriteProto(root);
    }

    private static List<ProtoField>? ParseProto(ReadOnlySpan<byte> bytes, int depth)
    {
        var fields = new List<ProtoField>();
        int position = 0;
        bool Varint(ReadOnlySpan<byte> b, out ulong value)
        {
            value = 0;
            for (int shift = 0; shift < 64 && position < b.Length; shift += 7)
            {
                byte next = b[position++];
                value |= (ulong)(next & 0x7f) << shift;
                if (next < 0x80)
                {
                    return true;
                }
            }
            return false;
        }
        while (position < bytes.Length)
        {
            if (!Varint(bytes, out ulong tag) || tag >> 3 == 0 || tag >> 3 > int.MaxValue)
            {
                return null;
            }
            int wire = (int)(tag & 7);
            switch (wire)
            {
                case 0:
                    if (!Varint(bytes, out ulong value))
                    {
                        return null;
                    }
                    fields.Add(new ProtoField((int)(tag >> 3), wire, value, [], null));
                    break;
                case 1 or 5:
                    int size = wire == 1 ? 8 : 4;
                    if (bytes.Length - position < size)
                    {
                        return null;
                    }
                    fields.Add(new ProtoField((int)(tag >> 3), wire, 0, bytes.Slice(position, size).ToArray(), null));
                    position += size;
                    break;
                case 2:
                    if (!Varint(bytes, out ulong length) || length > (ulong)(bytes.Length - position))
                    {
                        return null;
                    }
                    var content = bytes.Slice(position, (int)length);
                    position += (int)length;
                    fields.Add(new ProtoField((int)(tag >> 3), wire, 0, content.ToArray(), depth < 16 && content.Length > 0 ? ParseProto(content, depth + 1) : null));
                    break;
                default:
                    return null;
            }
        }
        return fields;
    }

    private static byte[] WriteProto(List<ProtoField> fields)
    {
        var output = new List<byte>();
        void Varint(ulong value)
        {
            while (value >= 0x80)
            {
                output.Add((byte)(value | 0x80));
                value >>= 7;
            }
            output.Add((byte)value);
        }
        foreach (var field in fields)
        {
            Varint(((ulong)field.Number << 3) | (uint)field.Wire);
            switch (field.Wire)
            {
                case 0:
                    Varint(field.Value);
                    break;
                case 2:
                    var content = field.Children is { } children ? WriteProto(children) : field.Bytes;
                    Varint((ulong)content.Length);
                    output.AddRange(content);
                    break;
                default:
                    output.AddRange(field.Bytes);
                    break;
            }
        }
        return [.. output];
    }

    /// <summary>A chunk that starts at a delimiter and runs to a later one (a JSON field, a CSV line or cell), or null.</summary>
    private (int Start, int End)? Segment(byte[] b)
    {
        var positions = new List<int>();
        for (int i = 0; i < b.Length; i++)
        {
            if (Delimiters.Contains(b[i]))
            {
                positions.Add(i);
            }
        }
        if (positions.Count < 2)
        {
            return null;
        }
        int first = _random.Next(positions.Count - 1);
        int last = first + 1 + _random.Next(Math.Min(4, positions.Count - 1 - first));
        return (positions[first], positions[last]);
    }

    /// <summary>A run of digits (with its sign, point and exponent), or null.</summary>
    private (int Start, int End)? Number(byte[] b)
    {
        var starts = new List<int>();
        for (int i = 0; i < b.Length; i++)
        {
            if (char.IsAsciiDigit((char)b[i]) && (i == 0 || !IsNumberByte(b[i - 1])))
            {
                starts.Add(i);
            }
        }
        if (starts.Count == 0)
        {
            return null;
        }
        int start = starts[_random.Next(starts.Count)];
        int end = start;
        while (end < b.Length && IsNumberByte(b[end]))
        {
            end++;
        }
        return (start > 0 && b[start - 1] == '-' ? start - 1 : start, end);
    }

    private static bool IsNumberByte(byte c) => char.IsAsciiDigit((char)c) || c is (byte)'.' or (byte)'e' or (byte)'E' or (byte)'+' or (byte)'-';
}
