using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Unicode;
using Neurite.IO;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>The tensors and the free-form string metadata of a safetensors file.</summary>
public sealed class SafeTensorsFile
{
    internal SafeTensorsFile(Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata)
    {
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>The tensors by name, in the order of their data in the file, converted to float32.</summary>
    public IReadOnlyDictionary<string, Tensor> Tensors { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }
}

/// <summary>
/// Reads and writes the safetensors format (Hugging Face): an 8-byte little-endian header length N,
/// N bytes of UTF-8 JSON header, then the raw little-endian data of every tensor, row-major.
/// </summary>
/// <remarks>
/// <para>The header is <c>{"__metadata__": {str: str}, "NAME": {"dtype": "F32", "shape": [...],
/// "data_offsets": [begin, end]}, …}</c>, the offsets relative to the first byte after the header.</para>
/// <para>Writing follows the reference implementation (safetensors' Rust <c>serialize</c>), so that
/// the same tensors give the same bytes: compact JSON, <c>__metadata__</c> first when given, then the
/// tensors sorted by name (ordinal; the reference sorts by dtype alignment first, and every tensor here
/// is F32), their data in that order; the header padded with spaces to a multiple of 8 bytes. The
/// reference keeps metadata in a hash map, so its order is unspecified there; here it is sorted by key.</para>
/// <para>Reading validates everything before it allocates tensors: the header length against the file
/// size, UTF-8, the JSON, every entry's fields, dtype and shape, and that the offsets are in range, do not
/// overlap, leave no gap, cover the data exactly (no trailing bytes), and hold product(shape)·size(dtype) bytes.
/// Its verdicts are the reference implementation's on the cases its tests cover; like it, it accepts JSON
/// whitespace before and after the header's object. F32 is read as is; F64, F16, BF16 and the integer and
/// boolean dtypes are converted to float32. A problem raises <see cref="InvalidDataException"/> whose one-line
/// message names the file and the tensor. At most <see cref="MaxTensors"/> tensors are read.</para>
/// </remarks>
public static class SafeTensors
{
    /// <summary>The largest header accepted, 100 MB (the reference implementation's limit).</summary>
    public const int MaxHeaderSize = 100_000_000;

    /// <summary>
    /// The most tensors read from one file. A 100 MB header can list two million; PyTorch checkpoints have a few
    /// thousand per file. Above this a file is refused, so that reading stays bounded in time and memory.
    /// </summary>
    public const int MaxTensors = 100_000;

    private const string MetadataKey = "__metadata__";

    private static readonly JsonWriterOptions CompactJson = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly Dictionary<string, int> DtypeSizes = new()
    {
        ["F64"] = 8,
        ["F32"] = 4,
        ["F16"] = 2,
        ["BF16"] = 2,
        ["I64"] = 8,
        ["I32"] = 4,
        ["I16"] = 2,
        ["I8"] = 1,
        ["U64"] = 8,
        ["U32"] = 4,
        ["U16"] = 2,
        ["U8"] = 1,
        ["BOOL"] = 1,
    };

    /// <summary>The reference's other dtypes: known, but not converted to float32 here.</summary>
    private static readonly string[] UnsupportedDtypes =
        ["F8_E5M2", "F8_E4M3", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F4", "F6_E2M3", "F6_E3M2", "C64"];

    private static readonly SearchValues<byte> JsonWhitespace = SearchValues.Create(" \t\n\r"u8);

    /// <summary>
    /// Writes <paramref name="tensors"/> as F32 and the <paramref name="metadata"/> entries to
    /// <paramref name="path"/>, atomically: a temporary file in the same directory is written, flushed
    /// and renamed over the target, so a failure (even one thrown by the enumeration) leaves any
    /// existing file as it was.
    /// </summary>
    /// <exception cref="ArgumentException">A name is empty, repeated or <c>__metadata__</c>.</exception>
    public static void Save(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        AtomicFile.Write(path, stream => WriteTo(stream, tensors, metadata));
    }

    /// <summary>The bytes <see cref="Save"/> writes.</summary>
    public static byte[] Serialize(IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        using var stream = new MemoryStream();
        WriteTo(stream, tensors, metadata);
        return stream.ToArray();
    }

    /// <summary>Reads and validates the safetensors file at <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not valid safetensors; the message names the file and the tensor.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static SafeTensorsFile Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file.", path);
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path);
    }

    /// <summary>
    /// Reads and validates the header of the safetensors file at <paramref name="path"/> and returns
    /// its <c>__metadata__</c>, without reading the tensors' data.
    /// </summary>
    /// <exception cref="InvalidDataException">The header is invalid or does not match the file's size.</exception>
    /// <exception cref="FileNotFoundException">There is no such file.</exception>
    public static IReadOnlyDictionary<string, string> LoadMetadata(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file.", path);
        }
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        return Read(stream, path, readData: false).Metadata;
    }

    /// <summary>Reads and validates safetensors <paramref name="bytes"/>; errors name <paramref name="source"/>.</summary>
    /// <exception cref="InvalidDataException">The bytes are not valid safetensors.</exception>
    public static SafeTensorsFile Deserialize(byte[] bytes, string source = "safetensors data")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        using var stream = new MemoryStream(bytes, writable: false);
        return Read(stream, source);
    }

    private static void WriteTo(Stream stream, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        var entries = new List<KeyValuePair<string, Tensor>>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var entry in tensors)
        {
            if (string.IsNullOrEmpty(entry.Key) || entry.Key == MetadataKey)
            {
                throw new ArgumentException($"safetensors: \"{entry.Key}\" cannot name a tensor.", nameof(tensors));
            }
            if (!names.Add(entry.Key))
            {
                throw new ArgumentException($"safetensors: the tensor name \"{entry.Key}\" appears twice.", nameof(tensors));
            }
            entries.Add(entry);
        }
        entries.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));

        var header = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(header, CompactJson))
        {
            json.WriteStartObject();
            if (metadata is not null)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                {
                    json.WriteString(key, value);
                }
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in entries)
            {
                json.WriteStartObject(name);
                json.WriteString("dtype", "F32");
                json.WriteStartArray("shape");
                foreach (int size in tensor.Shape)
                {
                    json.WriteNumberValue(size);
                }
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                offset += 4L * tensor.Count;
                json.WriteNumberValue(offset);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padding = (8 - header.WrittenCount % 8) % 8;
        Span<byte> prefix = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)(header.WrittenCount + padding));
        stream.Write(prefix);
        stream.Write(header.WrittenSpan);
        for (int i = 0; i < padding; i++)
        {
            stream.WriteByte((byte)' ');
        }
        foreach (var (_, tensor) in entries)
        {
            // NOTE: .NET runs little-endian on every platform it supports, so the floats' bytes are the file's.
            stream.Write(MemoryMarshal.AsBytes(tensor.Data));
        }
    }

    private sealed record Entry(string Name, string Dtype, int[] Shape, long Count, ulong Begin, ulong End);

    private static SafeTensorsFile Read(Stream stream, string source, bool readData = true)
    {
        long length = stream.Length;
        if (length < 8)
        {
            throw Error(source, $"the file is {length} bytes long, too short for the 8-byte header length; it is truncated or not safetensors.");
        }
        Span<byte> prefix = stackalloc byte[8];
        stream.ReadExactly(prefix);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
        if (headerLength > (ulong)(length - 8))
        {
            throw Error(source, $"the header length {headerLength} runs past the end of the file ({length} bytes); it is truncated or not safetensors.");
        }
        if (headerLength > MaxHeaderSize)
        {
            throw Error(source, $"the header length {headerLength} is above the limit of {MaxHeaderSize} bytes.");
        }
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        if (!Utf8.IsValid(header))
        {
            throw Error(source, $"the header is not valid UTF-8 (byte {8 + FirstInvalidUtf8(header)} of the file); the file is not safetensors.");
        }
        // JSON whitespace may pad the header on either side: the reference implementation accepts it (since 0.8.0).
        int start = header.AsSpan().IndexOfAnyExcept(JsonWhitespace);
        if (start < 0 || header[start] != (byte)'{')
        {
            throw Error(source, "the header is not a JSON object (it must start with '{'); the file is not safetensors.");
        }

        var metadata = new Dictionary<string, string>();
        var entries = new List<Entry>();
        try
        {
            ReadHeader(header, metadata, entries, source);
        }
        catch (JsonException e)
        {
            throw Error(source, $"the header is not valid JSON: {JsonErrors.Describe(e)}");
        }
        catch (InvalidOperationException e)
        {
            // A name or string with an escaped lone surrogate (\ud800), which no string can hold.
            throw Error(source, $"the header is not valid JSON: {e.Message.Split('\n')[0].TrimEnd()}");
        }

        long dataLength = length - 8 - (long)headerLength;
        CheckLayout(entries, (ulong)dataLength, source);

        var tensors = new Dictionary<string, Tensor>(entries.Count, StringComparer.Ordinal);
        foreach (var entry in readData ? entries : [])
        {
            tensors[entry.Name] = ReadData(stream, entry);
        }
        return new SafeTensorsFile(tensors, metadata);
    }

    /// <summary>
    /// Reads the header's JSON as a stream of tokens, so that memory stays in proportion to the entries kept (at most
    /// <see cref="MaxTensors"/>) rather than to a document tree of the whole header.
    /// </summary>
    private static void ReadHeader(ReadOnlySpan<byte> header, Dictionary<string, string> metadata, List<Entry> entries, string source)
    {
        var reader = new Utf8JsonReader(header);
        reader.Read(); // the '{' checked by the caller
        var seen = new HashSet<string>(StringComparer.Ordinal);
        List<JsonNumber> shape = [], offsets = [];
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            string name = reader.GetString()!;
            if (!seen.Add(name))
            {
                throw Error(source, $"the header names \"{name}\" twice.");
            }
            Next(ref reader);
            if (name == MetadataKey)
            {
                ReadMetadata(ref reader, metadata, source);
            }
            else if (entries.Count == MaxTensors)
            {
                throw Error(source, $"the header lists more than {MaxTensors} tensors, the most read here.");
            }
            else
            {
                entries.Add(ReadEntry(ref reader, header, name, source, shape, offsets));
            }
        }
        // Whitespace may follow the object; anything else makes the reader throw.
        while (reader.Read())
        {
        }
    }

    /// <summary>The next token; the data ending first is malformed JSON.</summary>
    private static JsonTokenType Next(ref Utf8JsonReader reader) =>
        reader.Read() ? reader.TokenType : throw new JsonException("the header ends inside its JSON object.");

    private static void ReadMetadata(ref Utf8JsonReader reader, Dictionary<string, string> metadata, string source)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return; // as the reference reads it: no metadata
        }
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw Error(source, $"__metadata__ must be an object of strings, not {Kind(reader.TokenType)}.");
        }
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            if (Next(ref reader) != JsonTokenType.String)
            {
                throw Error(source, $"__metadata__.{key} must be a string, not {Kind(reader.TokenType)}.");
            }
            if (!metadata.TryAdd(key, reader.GetString()!))
            {
                throw Error(source, $"__metadata__ names \"{key}\" twice.");
            }
        }
    }

    private static Entry ReadEntry(ref Utf8JsonReader reader, ReadOnlySpan<byte> header, string name, string source, List<JsonNumber> shape, List<JsonNumber> offsets)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw TensorError(source, name, $"the entry must be an object with dtype, shape and data_offsets, not {Kind(reader.TokenType)}.");
        }
        string? type = null;
        Range? shapeText = null, offsetsText = null;
        bool wellTyped = true;
        while (Next(ref reader) != JsonTokenType.EndObject)
        {
            // Field names are compared in place: a header of many entries allocates no string per field.
            bool isType = reader.ValueTextEquals("dtype"u8), isShape = reader.ValueTextEquals("shape"u8), isOffsets = reader.ValueTextEquals("data_offsets"u8);
            if ((isType && type is not null) || (isShape && shapeText is not null) || (isOffsets && offsetsText is not null) || !(isType || isShape || isOffsets))
            {
                throw TensorError(source, name, $"unexpected or repeated field \"{reader.GetString()}\" (an entry has dtype, shape and data_offsets).");
            }
            var token = Next(ref reader);
            if (isType)
            {
                wellTyped &= token == JsonTokenType.String;
                type = token == JsonTokenType.String ? Dtype(ref reader) : "";
                reader.Skip();
            }
            else
            {
                wellTyped &= token == JsonTokenType.StartArray;
                var range = Numbers(ref reader, isShape ? shape : offsets);
                if (isShape)
                {
                    shapeText = range;
                }
                else
                {
                    offsetsText = range;
                }
            }
        }
        if (type is null || shapeText is not { } shapeRange || offsetsText is not { } offsetsRange || !wellTyped)
        {
            throw TensorError(source, name, "the entry needs dtype (a string), shape (an array) and data_offsets (an array).");
        }
        if (UnsupportedDtypes.Contains(type))
        {
            throw TensorError(source, name, $"dtype {type} is not supported; supported: {string.Join(", ", DtypeSizes.Keys)}.");
        }
        if (!DtypeSizes.ContainsKey(type))
        {
            throw TensorError(source, name, $"unknown dtype \"{type}\"; supported: {string.Join(", ", DtypeSizes.Keys)}.");
        }
        var sizes = new int[shape.Count];
        long count = 1;
        for (int d = 0; d < sizes.Length; d++)
        {
            if (shape[d].Int is not { } s || s < 0)
            {
                throw TensorError(source, name, $"shape {Text(header, shapeRange)} must list sizes that are whole numbers from 0 to {int.MaxValue}.");
            }
            sizes[d] = s;
            count = s == 0 || count > long.MaxValue / s ? (s == 0 ? 0 : long.MaxValue) : count * s;
        }
        if (count > Array.MaxLength)
        {
            throw TensorError(source, name, $"shape {Text(header, shapeRange)} has {count} elements, more than a tensor can hold ({Array.MaxLength}).");
        }
        if (offsets.Count != 2 || offsets[0].UInt64 is not { } begin || offsets[1].UInt64 is not { } end)
        {
            throw TensorError(source, name, $"data_offsets {Text(header, offsetsRange)} must be two whole numbers [begin, end].");
        }
        if (end < begin)
        {
            throw TensorError(source, name, $"data_offsets [{begin}, {end}] end before they begin.");
        }
        return new Entry(name, type, sizes, count, begin, end);
    }

    /// <summary>A number of an array as the two readings a header needs (null where it is not one), or neither for another token.</summary>
    private readonly record struct JsonNumber(int? Int, ulong? UInt64);

    /// <summary>
    /// Reads the elements of the array the reader is at into <paramref name="numbers"/> (cleared first) and returns
    /// where its text is in the header (for a message); a value that is not an array gives no elements, and a nested
    /// value counts as a non-number, skipped whole.
    /// </summary>
    private static Range Numbers(ref Utf8JsonReader reader, List<JsonNumber> numbers)
    {
        numbers.Clear();
        int start = (int)reader.TokenStartIndex;
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            while (Next(ref reader) != JsonTokenType.EndArray)
            {
                if (reader.TokenType == JsonTokenType.Number)
                {
                    numbers.Add(new(reader.TryGetInt32(out int i) ? i : null, reader.TryGetUInt64(out ulong u) ? u : null));
                }
                else
                {
                    reader.Skip();
                    numbers.Add(default);
                }
            }
        }
        else
        {
            reader.Skip();
        }
        return start..(int)reader.BytesConsumed;
    }

    /// <summary>The dtype string, the known names shared rather than allocated per entry.</summary>
    private static string Dtype(ref Utf8JsonReader reader)
    {
        foreach (string known in DtypeSizes.Keys)
        {
            if (reader.ValueTextEquals(known))
            {
                return known;
            }
        }
        return reader.GetString()!;
    }

    private static string Text(ReadOnlySpan<byte> header, Range range) => Encoding.UTF8.GetString(header[range]);

    private static void CheckLayout(List<Entry> entries, ulong dataLength, string source)
    {
        foreach (var entry in entries)
        {
            if (entry.End > dataLength)
            {
                throw TensorError(source, entry.Name,
                    $"data_offsets [{entry.Begin}, {entry.End}] run past the end of the data ({dataLength} bytes after the header); the file is truncated.");
            }
            ulong expected = (ulong)entry.Count * (ulong)DtypeSizes[entry.Dtype];
            if (entry.End - entry.Begin != expected)
            {
                throw TensorError(source, entry.Name,
                    $"data_offsets [{entry.Begin}, {entry.End}] hold {entry.End - entry.Begin} bytes, but {entry.Dtype} {Shapes.Format(entry.Shape)} needs {expected}.");
            }
        }
        entries.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        ulong covered = 0;
        Entry? previous = null;
        foreach (var entry in entries)
        {
            if (entry.Begin < covered)
            {
                throw TensorError(source, entry.Name,
                    $"data_offsets [{entry.Begin}, {entry.End}] overlap those of \"{previous!.Name}\" [{previous.Begin}, {previous.End}].");
            }
            if (entry.Begin > covered)
            {
                throw TensorError(source, entry.Name,
                    $"data_offsets [{entry.Begin}, {entry.End}] leave bytes [{covered}, {entry.Begin}) of the data unused.");
            }
            covered = entry.End;
            previous = entry;
        }
        if (covered != dataLength)
        {
            throw Error(source, $"the tensors cover {covered} bytes of data, but {dataLength} bytes follow the header.");
        }
    }

    private static Tensor ReadData(Stream stream, Entry entry)
    {
        var values = new float[entry.Count];
        if (entry.Dtype == "F32")
        {
            stream.ReadExactly(MemoryMarshal.AsBytes(values.AsSpan()));
            return new Tensor(values, entry.Shape);
        }
        int size = DtypeSizes[entry.Dtype];
        var buffer = new byte[Math.Min(entry.Count * size, 1 << 16)];
        int chunk = buffer.Length / Math.Max(size, 1);
        for (int start = 0; start < values.Length; start += chunk)
        {
            int n = Math.Min(chunk, values.Length - start);
            var bytes = buffer.AsSpan(0, n * size);
            stream.ReadExactly(bytes);
            Convert(entry.Dtype, bytes, values.AsSpan(start, n));
        }
        return new Tensor(values, entry.Shape);
    }

    private static void Convert(string dtype, ReadOnlySpan<byte> bytes, Span<float> values)
    {
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = dtype switch
            {
                "F64" => (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes[(8 * i)..]),
                "F16" => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes[(2 * i)..]),
                // bfloat16 is the upper half of a float32.
                "BF16" => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]) << 16),
                "I64" => BinaryPrimitives.ReadInt64LittleEndian(bytes[(8 * i)..]),
                "I32" => BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]),
                "I16" => BinaryPrimitives.ReadInt16LittleEndian(bytes[(2 * i)..]),
                "I8" => (sbyte)bytes[i],
                "U64" => BinaryPrimitives.ReadUInt64LittleEndian(bytes[(8 * i)..]),
                "U32" => BinaryPrimitives.ReadUInt32LittleEndian(bytes[(4 * i)..]),
                "U16" => BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]),
                _ => bytes[i], // U8 and BOOL
            };
        }
    }

    private static int FirstInvalidUtf8(ReadOnlySpan<byte> bytes)
    {
        for (int i = 0; i < bytes.Length;)
        {
            if (Rune.DecodeFromUtf8(bytes[i..], out _, out int consumed) != OperationStatus.Done)
            {
                return i;
            }
            i += consumed;
        }
        return bytes.Length;
    }

    private static string Kind(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "object",
        JsonTokenType.StartArray => "array",
        _ => token.ToString().ToLowerInvariant(),
    };

    private static InvalidDataException Error(string source, string detail) => new(OneLine.Escape($"{source}: {detail}"));

    private static InvalidDataException TensorError(string source, string name, string detail) => Error(source, $"tensor \"{name}\": {detail}");
}
