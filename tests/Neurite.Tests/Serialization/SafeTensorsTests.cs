using System.Buffers.Binary;
using System.Text;
using Neurite.IO;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Tests.Serialization;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-safetensors-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static KeyValuePair<string, Tensor> Entry(string name, Tensor tensor) => new(name, tensor);

    /// <summary>A file of the given header (padded as given) followed by <paramref name="data"/>.</summary>
    private static byte[] File(string header, byte[] data)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + json.Length);
        return bytes;
    }

    private static string ErrorOf(byte[] bytes) =>
        Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes, "w.safetensors")).Message;

    [Fact]
    public void Round_trip_keeps_shapes_values_and_metadata_including_scalars_and_empty_tensors()
    {
        var tensors = new Dictionary<string, Tensor>
        {
            ["0.weight"] = Tensor.From([1f, -2f, 3.5f, float.NaN, float.PositiveInfinity, -0f], [2, 3]),
            ["scalar"] = Tensor.Scalar(7.25f),
            ["empty"] = Tensor.Zeros([0, 4]),
            ["10.bias"] = Tensor.From([float.Epsilon, float.MaxValue]),
        };
        var metadata = new Dictionary<string, string> { ["neurite.spec"] = "{\"input\": [2]}", ["note"] = "ünïcode ✓" };
        string path = PathOf("model.safetensors");
        SafeTensors.Save(path, tensors, metadata);

        var file = SafeTensors.Load(path);
        Assert.Equal(metadata, file.Metadata);
        Assert.Equal(metadata, SafeTensors.LoadMetadata(path));
        Assert.Equal(tensors.Keys.Order(StringComparer.Ordinal), file.Tensors.Keys);
        foreach (var (name, tensor) in tensors)
        {
            Assert.Equal(tensor.Shape.ToArray(), file.Tensors[name].Shape.ToArray());
            // Bit patterns, so that NaN and −0 count.
            Assert.Equal(tensor.Select(BitConverter.SingleToInt32Bits), file.Tensors[name].Select(BitConverter.SingleToInt32Bits));
        }
        Assert.Equal(0, (new FileInfo(path).Length - 8) % 4);
    }

    [Fact]
    public void Bytes_match_the_reference_implementation()
    {
        // safetensors' own test_serialization_forced_alignement: "attn0" F32 [1, 1, 2, 3] holding 0…5
        // gives a 65-byte header padded with 7 spaces to 72.
        var attn0 = SafeTensors.Serialize([Entry("attn0", Tensor.From([0f, 1, 2, 3, 4, 5], [1, 1, 2, 3]))]);
        byte[] expected =
        [
            72, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 48, 34, 58, 123, 34, 100, 116,
            121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97, 112, 101, 34, 58,
            91, 49, 44, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102,
            115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125, 32, 32, 32, 32, 32,
            32, 32, 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0,
            160, 64,
        ];
        Assert.Equal(expected, attn0);

        // test_empty: no tensors, metadata {"framework": "pt"} → {"__metadata__":{"framework":"pt"}} + 5 spaces.
        var empty = SafeTensors.Serialize([], new Dictionary<string, string> { ["framework"] = "pt" });
        Assert.Equal(File("{\"__metadata__\":{\"framework\":\"pt\"}}     ", []), empty);
        Assert.Equal(File("{}      ", []), SafeTensors.Serialize([]));
    }

    [Fact]
    public void Tensors_are_written_sorted_by_name_with_contiguous_offsets()
    {
        var bytes = SafeTensors.Serialize([Entry("b", Tensor.From([1f, 2f])), Entry("a", Tensor.Scalar(3f)), Entry("10", Tensor.Zeros([0]))]);
        int n = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(
            "{\"10\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]},"
            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
            Encoding.UTF8.GetString(bytes, 8, n).TrimEnd(' '));
        Assert.Equal([3f, 1f, 2f], Floats(bytes.AsSpan(8 + n)));
    }

    private static float[] Floats(ReadOnlySpan<byte> bytes)
    {
        var values = new float[bytes.Length / 4];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadSingleLittleEndian(bytes[(4 * i)..]);
        }
        return values;
    }

    [Fact]
    public void Reads_entries_in_any_header_order_and_unpadded_headers()
    {
        // The reference's own doc example writes no padding; entries may come in any order.
        var data = new byte[12];
        BinaryPrimitives.WriteSingleLittleEndian(data, 5f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(4), 6f);
        BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(8), 7f);
        var file = SafeTensors.Deserialize(File(
            "{\"y\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]},\"x\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", data));
        Assert.Equal(["x", "y"], file.Tensors.Keys);
        Assert.Equal([6f, 7f], file.Tensors["y"].ToArray());
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void Other_dtypes_are_converted_to_float32()
    {
        var data = new List<byte>();
        void Add(int size, Action<byte[]> write)
        {
            var b = new byte[size];
            write(b);
            data.AddRange(b);
        }
        Add(16, b => { BinaryPrimitives.WriteDoubleLittleEndian(b, 0.1); BinaryPrimitives.WriteDoubleLittleEndian(b.AsSpan(8), -3); });
        Add(4, b => { BinaryPrimitives.WriteHalfLittleEndian(b, (Half)1.5f); BinaryPrimitives.WriteHalfLittleEndian(b.AsSpan(2), (Half)(-65504f)); });
        // bfloat16 0x3FC0 = the top half of 1.5f (0x3FC00000); 0xC2F7 = −123.5.
        Add(4, b => { BinaryPrimitives.WriteUInt16LittleEndian(b, 0x3FC0); BinaryPrimitives.WriteUInt16LittleEndian(b.AsSpan(2), 0xC2F7); });
        Add(16, b => { BinaryPrimitives.WriteInt64LittleEndian(b, 42); BinaryPrimitives.WriteInt64LittleEndian(b.AsSpan(8), -7); });
        Add(8, b => { BinaryPrimitives.WriteInt32LittleEndian(b, -1); BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(4), 100000); });
        Add(2, b => { b[0] = 1; b[1] = 0; });
        var file = SafeTensors.Deserialize(File(
            "{\"f64\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]},\"f16\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[16,20]},"
            + "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[20,24]},\"i64\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[24,40]},"
            + "\"i32\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[40,48]},\"bool\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[48,50]}}",
            [.. data]));
        Assert.Equal([0.1f, -3f], file.Tensors["f64"].ToArray());
        Assert.Equal([1.5f, -65504f], file.Tensors["f16"].ToArray());
        Assert.Equal([1.5f, -123.5f], file.Tensors["bf16"].ToArray());
        Assert.Equal([42f, -7f], file.Tensors["i64"].ToArray());
        Assert.Equal([-1f, 100000f], file.Tensors["i32"].ToArray());
        Assert.Equal([1f, 0f], file.Tensors["bool"].ToArray());
    }

    private static readonly byte[] EightBytes = new byte[8];

    public static TheoryData<string, byte[], string> Corruptions => new()
    {
        { "shorter than the length field", [1, 2, 3], "w.safetensors: the file is 3 bytes long, too short for the 8-byte header length; it is truncated or not safetensors." },
        { "header length beyond the file", [200, 0, 0, 0, 0, 0, 0, 0, (byte)'{', (byte)'}'], "w.safetensors: the header length 200 runs past the end of the file (10 bytes); it is truncated or not safetensors." },
        { "huge header length", [0, 0, 0, 0, 0, 0, 0, 128], "w.safetensors: the header length 9223372036854775808 runs past the end of the file (8 bytes); it is truncated or not safetensors." },
        { "not an object", File("[1, 2]  ", []), "w.safetensors: the header is not a JSON object (it must start with '{'); the file is not safetensors." },
        { "malformed JSON", File("{\"a\": }", []), "w.safetensors: the header is not valid JSON: " },
        { "truncated data", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", [1, 2, 3, 4]), "w.safetensors: tensor \"a\": data_offsets [0, 8] run past the end of the data (4 bytes after the header); the file is truncated." },
        { "wrong byte count", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", EightBytes), "w.safetensors: tensor \"a\": data_offsets [0, 8] hold 8 bytes, but F32 [3] needs 12." },
        { "overlap", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", EightBytes), "w.safetensors: tensor \"b\": data_offsets [4, 8] overlap those of \"a\" [0, 8]." },
        { "gap", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", EightBytes), "w.safetensors: tensor \"a\": data_offsets [4, 8] leave bytes [0, 4) of the data unused." },
        { "trailing data", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", EightBytes), "w.safetensors: the tensors cover 4 bytes of data, but 8 bytes follow the header." },
        { "reversed offsets", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", EightBytes), "w.safetensors: tensor \"a\": data_offsets [8, 0] end before they begin." },
        { "unknown dtype", File("{\"a\":{\"dtype\":\"Q4\",\"shape\":[1],\"data_offsets\":[0,1]}}", [0]), "w.safetensors: tensor \"a\": unknown dtype \"Q4\"; supported: F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL." },
        { "unsupported dtype", File("{\"a\":{\"dtype\":\"F8_E4M3\",\"shape\":[1],\"data_offsets\":[0,1]}}", [0]), "w.safetensors: tensor \"a\": dtype F8_E4M3 is not supported; supported: F64, F32, F16, BF16, I64, I32, I16, I8, U64, U32, U16, U8, BOOL." },
        { "negative size", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,0]}}", []), "w.safetensors: tensor \"a\": shape [-1] must list sizes that are whole numbers from 0 to 2147483647." },
        { "too many elements", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[100000,100000],\"data_offsets\":[0,4]}}", [0, 0, 0, 0]), "w.safetensors: tensor \"a\": shape [100000,100000] has 10000000000 elements, more than a tensor can hold (2147483591)." },
        { "missing field", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", []), "w.safetensors: tensor \"a\": the entry needs dtype (a string), shape (an array) and data_offsets (an array)." },
        { "unexpected field", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"offsets\":[0,4]}}", []), "w.safetensors: tensor \"a\": unexpected or repeated field \"offsets\" (an entry has dtype, shape and data_offsets)." },
        { "bad offsets", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0]}}", []), "w.safetensors: tensor \"a\": data_offsets [0] must be two whole numbers [begin, end]." },
        { "duplicate name", File("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]},\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", []), "w.safetensors: the header names \"a\" twice." },
        { "metadata not strings", File("{\"__metadata__\":{\"epoch\":3}}", []), "w.safetensors: __metadata__.epoch must be a string, not number." },
        { "entry not an object", File("{\"a\":[1]}", []), "w.safetensors: tensor \"a\": the entry must be an object with dtype, shape and data_offsets, not array." },
        { "non-UTF-8 header", Rust(@"\x05\x00\x00\x00\x00\x00\x00\x00{\xff}  "), "w.safetensors: the header is not valid UTF-8 (byte 9 of the file); the file is not safetensors." },
        { "escaped lone surrogate", File("{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}}", []), "w.safetensors: the header is not valid JSON: " },
        { "text after the object", File("{} x", []), "w.safetensors: the header is not valid JSON: " },
        { "a dtype the reference knows", File("{\"a\":{\"dtype\":\"F4\",\"shape\":[2],\"data_offsets\":[0,1]}}", [0]), "w.safetensors: tensor \"a\": dtype F4 is not supported" },
        { "deep nesting", File("{\"a\":{\"dtype\":\"F32\",\"shape\":" + new string('[', 5000) + "}}", []), "w.safetensors: the header is not valid JSON: " },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Every_corruption_is_refused_with_a_message_naming_the_file_and_tensor(string what, byte[] bytes, string message)
    {
        string error = ErrorOf(bytes);
        Assert.True(error.StartsWith(message, StringComparison.Ordinal), $"{what}: got \"{error}\"");
        Assert.DoesNotContain('\n', error);
    }

    [Fact]
    public void Every_truncation_of_a_valid_file_is_refused()
    {
        var bytes = SafeTensors.Serialize([Entry("w", Tensor.From([1f, 2f, 3f])), Entry("b", Tensor.Scalar(4f))], new Dictionary<string, string> { ["k"] = "v" });
        string path = PathOf("cut.safetensors");
        for (int length = 0; length < bytes.Length; length++)
        {
            Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes[..length]));
            // Reading the header alone still checks it against the file's size.
            System.IO.File.WriteAllBytes(path, bytes[..length]);
            Assert.Throws<InvalidDataException>(() => SafeTensors.LoadMetadata(path));
        }
        Assert.Equal(2, SafeTensors.Deserialize(bytes).Tensors.Count);
    }

    [Fact]
    public void A_failed_save_leaves_the_existing_file_and_no_temporary_file()
    {
        string path = PathOf("keep.safetensors");
        SafeTensors.Save(path, [Entry("w", Tensor.From([1f, 2f]))]);
        var before = System.IO.File.ReadAllBytes(path);

        static IEnumerable<KeyValuePair<string, Tensor>> Throwing()
        {
            yield return new("a", Tensor.From([9f]));
            throw new InvalidOperationException("enumeration failed midway");
        }
        var e = Assert.Throws<InvalidOperationException>(() => SafeTensors.Save(path, Throwing()));
        Assert.Equal("enumeration failed midway", e.Message);
        Assert.Throws<ArgumentException>(() => SafeTensors.Save(path, [Entry("a", Tensor.Scalar(1f)), Entry("a", Tensor.Scalar(2f))]));

        Assert.Equal(before, System.IO.File.ReadAllBytes(path));
        Assert.Equal([path], Directory.GetFiles(_directory));
    }

    [Fact]
    public void An_atomic_write_that_fails_after_writing_bytes_leaves_the_target_intact()
    {
        string path = PathOf("target.bin");
        System.IO.File.WriteAllText(path, "good");
        Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100_000]);
            throw new IOException("disk full");
        }));
        Assert.Equal("good", System.IO.File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_directory));

        AtomicFile.Write(path, stream => stream.Write("new"u8));
        Assert.Equal("new", System.IO.File.ReadAllText(path));
    }

    /// <summary>A Rust byte-string literal of safetensors' tests, as bytes: \xHH, \" and \\ escapes, other characters as they are.</summary>
    private static byte[] Rust(string literal)
    {
        var bytes = new List<byte>();
        for (int i = 0; i < literal.Length; i++)
        {
            if (literal[i] == '\\' && literal[i + 1] == 'x')
            {
                bytes.Add(Convert.ToByte(literal.Substring(i + 2, 2), 16));
                i += 3;
            }
            else if (literal[i] == '\\')
            {
                bytes.Add((byte)literal[++i]);
            }
            else
            {
                bytes.Add((byte)literal[i]);
            }
        }
        return [.. bytes];
    }

    private const string Sixteen = @"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00";

    /// <summary>
    /// The deserialization cases of huggingface/safetensors' own tests (safetensors/src/tensor.rs, as of commit 24b0b28),
    /// byte for byte, with the reference implementation's verdict: read (true) or refused.
    /// </summary>
    public static TheoryData<string, byte[], bool> ReferenceCases()
    {
        const string Test = @"{\""test\"":{\""dtype\"":\""I32\"",\""shape\"":[2,2],\""data_offsets\"":[0,16]}}";
        var attack = new StringBuilder("{");
        for (int i = 0; i < 10; i++)
        {
            attack.Append(i == 0 ? "" : ",").Append($"\"weight_{i}\":{{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}");
        }
        attack.Append('}');
        return new()
        {
            { "test_deserialization", Rust(@"<\x00\x00\x00\x00\x00\x00\x00" + Test + Sixteen), true },
            { "test_empty_shapes_allowed", Rust(@"8\x00\x00\x00\x00\x00\x00\x00{\""test\"":{\""dtype\"":\""I32\"",\""shape\"":[],\""data_offsets\"":[0,4]}}\x00\x00\x00\x00"), true },
            { "test_zero_sized_tensor", Rust(@"<\x00\x00\x00\x00\x00\x00\x00{\""test\"":{\""dtype\"":\""I32\"",\""shape\"":[2,0],\""data_offsets\"":[0, 0]}}"), true },
            { "test_whitespace_padded_header", Rust(@"\x06\x00\x00\x00\x00\x00\x00\x00{}\x0D\x20\x09\x0A"), true },
            { "test_whitespace_leading_padded_header", Rust(@"\x06\x00\x00\x00\x00\x00\x00\x00\x09\x0A{}\x0D\x20"), true },
            { "test_empty", [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32], true },
            { "test_empty with metadata", [40, 0, 0, 0, 0, 0, 0, 0, .. "{\"__metadata__\":{\"framework\":\"pt\"}}     "u8], true },
            { "test_serialization (unpadded)", [64, 0, 0, 0, 0, 0, 0, 0, .. "{\"attn.0\":{\"dtype\":\"F32\",\"shape\":[1,2,3],\"data_offsets\":[0,24]}}"u8, .. new byte[24]], true },
            { "test_json_attack", File(attack.ToString(), new byte[16]), false },
            { "test_metadata_incomplete_buffer: trailing bytes", Rust(@"<\x00\x00\x00\x00\x00\x00\x00" + Test + Sixteen + "extra_bogus_data_for_polyglot_file"), false },
            { "test_metadata_incomplete_buffer: 2 bytes missing", Rust(@"<\x00\x00\x00\x00\x00\x00\x00" + Test + Sixteen[..^8]), false },
            { "test_header_too_large", Rust(@"<\x00\x00\x00\x00\xff\xff\xff" + Test + Sixteen), false },
            { "test_header_too_small", [], false },
            { "test_invalid_header_length", Rust(@"<\x00\x00\x00\x00\x00\x00\x00"), false },
            { "test_invalid_header_non_utf8", Rust(@"\x01\x00\x00\x00\x00\x00\x00\x00\xff"), false },
            { "test_invalid_header_not_json", Rust(@"\x01\x00\x00\x00\x00\x00\x00\x00{"), false },
            { "test_invalid_info", Rust(@"<\x00\x00\x00\x00\x00\x00\x00{\""test\"":{\""dtype\"":\""I32\"",\""shape\"":[2,2],\""data_offsets\"":[0, 4]}}"), false },
            { "test_validation_overflow: shape", Rust(@"O\x00\x00\x00\x00\x00\x00\x00{\""test\"":{\""dtype\"":\""I32\"",\""shape\"":[2,18446744073709551614],\""data_offsets\"":[0,16]}}" + Sixteen), false },
            { "test_validation_overflow: size", Rust(@"N\x00\x00\x00\x00\x00\x00\x00{\""test\"":{\""dtype\"":\""I32\"",\""shape\"":[2,9223372036854775807],\""data_offsets\"":[0,16]}}" + Sixteen), false },
        };
    }

    [Theory]
    [MemberData(nameof(ReferenceCases))]
    public void Verdicts_match_the_reference_implementation_on_its_own_test_cases(string test, byte[] bytes, bool read)
    {
        if (read)
        {
            var file = SafeTensors.Deserialize(bytes, "case.safetensors");
            Assert.All(file.Tensors.Values, t => Assert.All(t.ToArray(), v => Assert.Equal(0f, v)));
        }
        else
        {
            var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes, "case.safetensors"));
            Assert.StartsWith("case.safetensors: ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        Assert.NotEmpty(test);
    }

    [Fact]
    public void Zero_sized_tensors_and_scalars_keep_their_shapes()
    {
        var file = SafeTensors.Deserialize(Rust(@"<\x00\x00\x00\x00\x00\x00\x00{\""test\"":{\""dtype\"":\""I32\"",\""shape\"":[2,0],\""data_offsets\"":[0, 0]}}"));
        Assert.Equal([2, 0], file.Tensors["test"].Shape.ToArray());
        var scalar = SafeTensors.Deserialize(Rust(@"8\x00\x00\x00\x00\x00\x00\x00{\""test\"":{\""dtype\"":\""I32\"",\""shape\"":[],\""data_offsets\"":[0,4]}}\x07\x00\x00\x00"));
        Assert.Empty(scalar.Tensors["test"].Shape.ToArray());
        Assert.Equal([7f], scalar.Tensors["test"].ToArray());
    }

    /// <summary>A header listing <paramref name="count"/> zero-sized F32 tensors (about 50 bytes each), and no data.</summary>
    private static byte[] ManyTensors(int count)
    {
        var header = new StringBuilder(count * 56).Append('{');
        for (int i = 0; i < count; i++)
        {
            header.Append(i == 0 ? "" : ",").Append("\"t").Append(i).Append("\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[0,0]}");
        }
        return File(header.Append('}').ToString(), []);
    }

    [Fact]
    public void Headers_of_10_to_the_5_6_and_7_entries_are_read_or_refused_in_proportion_to_their_size()
    {
        // 10⁵ entries (5 MB): read, allocating a small multiple of the file.
        var bytes = ManyTensors(SafeTensors.MaxTensors);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var file = SafeTensors.Deserialize(bytes, "many.safetensors");
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(SafeTensors.MaxTensors, file.Tensors.Count);
        Assert.True(allocated < 40L * bytes.Length, $"{allocated:N0} bytes allocated for a {bytes.Length:N0}-byte file");

        // 10⁶ entries (55 MB): refused at the 100,001st, reading no further.
        bytes = ManyTensors(1_000_000);
        before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => SafeTensors.Deserialize(bytes, "more.safetensors"));
        allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal($"more.safetensors: the header lists more than {SafeTensors.MaxTensors} tensors, the most read here.", e.Message);
        Assert.True(allocated < 2L * bytes.Length, $"{allocated:N0} bytes allocated for a {bytes.Length:N0}-byte file");

        // 10⁷ entries need a 550 MB header, above the 100 MB limit: refused from the length alone (a sparse file here).
        string path = PathOf("huge.safetensors");
        using (var stream = System.IO.File.Create(path))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, 550_000_000);
            stream.Write(length);
            stream.SetLength(8 + 550_000_000L);
        }
        before = GC.GetAllocatedBytesForCurrentThread();
        e = Assert.Throws<InvalidDataException>(() => SafeTensors.Load(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Equal($"{path}: the header length 550000000 is above the limit of {SafeTensors.MaxHeaderSize} bytes.", e.Message);
    }

    [Fact]
    public void Missing_file_and_directory_are_named()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SafeTensors.Load(PathOf("none.safetensors")));
        Assert.Equal($"{PathOf("none.safetensors")}: no such file.", e.Message);
        var d = Assert.Throws<DirectoryNotFoundException>(() => SafeTensors.Save(PathOf("no/such/dir.safetensors"), []));
        Assert.Contains("does not exist", d.Message);
    }
}
