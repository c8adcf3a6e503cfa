using System.Text.Json;
using Neurite.Serialization;

namespace Neurite.Tests.Onnx;

/// <summary>
/// The hand-written reader and writer of ONNX's protobuf messages: against a model onnx.helper wrote
/// (tests/reference/gen_onnx.py), every model and tensor of ONNX's own test data, round trips, and malformed bytes.
/// </summary>
public class OnnxProtobufTests
{
    internal static string Reference(string file) => Path.Combine(AppContext.BaseDirectory, "reference", file);

    [Fact]
    public void Reads_what_onnx_helper_wrote()
    {
        var model = OnnxModel.Load(Reference("onnx_messages.onnx"));
        using var json = JsonDocument.Parse(File.ReadAllText(Reference("onnx_messages.json")));
        var expected = json.RootElement;
        Assert.Equal(expected.GetProperty("ir_version").GetInt64(), model.IrVersion);
        Assert.Equal(
            expected.GetProperty("opsets").EnumerateArray().Select(o => $"{o[0].GetString()}:{o[1].GetInt64()}"),
            model.Opsets.Select(o => $"{o.Domain}:{o.Version}"));
        Assert.Equal(17, model.OpsetVersion());
        Assert.Equal(17, model.OpsetVersion("ai.onnx"));
        Assert.Equal(1, model.OpsetVersion("neurite.test"));
        Assert.Equal(0, model.OpsetVersion("com.microsoft"));
        Assert.Equal(expected.GetProperty("producer")[0].GetString(), model.ProducerName);
        Assert.Equal(
            expected.GetProperty("metadata").EnumerateArray().Select(m => $"{m[0].GetString()}={m[1].GetString()}"),
            model.Metadata.Select(m => $"{m.Key}={m.Value}"));
        Assert.Equal(expected.GetProperty("graph").GetString(), model.Graph.Name);
        Assert.Equal(expected.GetProperty("doc").GetString(), model.Graph.DocString);

        var initializers = expected.GetProperty("initializers").EnumerateArray().ToList();
        Assert.Equal(initializers.Count, model.Graph.Initializers.Count);
        foreach (var (tensor, want) in model.Graph.Initializers.Zip(initializers))
        {
            string name = want.GetProperty("name").GetString()!;
            Assert.Equal(name, tensor.Name);
            Assert.Equal(want.GetProperty("dims").EnumerateArray().Select(d => d.GetInt64()), tensor.Dims);
            Assert.Equal(want.GetProperty("data_type").GetInt32(), (int)tensor.DataType);
            var values = want.GetProperty("values").EnumerateArray().ToList();
            switch (tensor.DataType)
            {
                case OnnxDataType.Float:
                    Assert.Equal(values.Select(v => (float)v.GetDouble()), tensor.FloatData!);
                    break;
                case OnnxDataType.Double:
                    Assert.Equal(values.Select(v => v.GetDouble()), tensor.DoubleData!);
                    break;
                case OnnxDataType.Bool:
                    Assert.Equal(values.Select(v => v.GetBoolean() ? 1L : 0L), tensor.IntData!);
                    break;
                default:
                    Assert.Equal(values.Select(v => v.GetInt64()), tensor.IntData!);
                    break;
            }
        }

        var inputs = expected.GetProperty("inputs").EnumerateArray().ToList();
        Assert.Equal(inputs.Count, model.Graph.Inputs.Count);
        foreach (var (input, want) in model.Graph.Inputs.Zip(inputs))
        {
            Assert.Equal(want[0].GetString(), input.Name);
            Assert.Equal(want[1].GetInt32(), (int)input.ElementType);
            Assert.Equal(
                want[2].EnumerateArray().Select(d => d.ValueKind == JsonValueKind.Null ? "?" : d.ToString()),
                input.Shape!.Select(d => d.ToString()));
        }
        Assert.Equal("float [batch, 3]", model.Graph.Inputs[0].DescribeType());

        var nodes = expected.GetProperty("nodes").EnumerateArray().ToList();
        foreach (var (node, want) in model.Graph.Nodes.Zip(nodes))
        {
            Assert.Equal(want[0].GetString(), node.Name);
            Assert.Equal(want[1].GetString(), node.OpType);
            Assert.Equal(want[2].GetString(), node.Domain);
            Assert.Equal(want[3].EnumerateArray().Select(v => v.GetString()), node.Inputs);
            Assert.Equal(want[4].EnumerateArray().Select(v => v.GetString()), node.Outputs);
            Assert.Equal(want[5].EnumerateArray().Select(v => v.GetString()), node.Attributes.Select(a => a.Name));
        }
        var everything = model.Graph.Nodes[0];
        Assert.Equal(0.25f, everything.Attribute("f")!.Float);
        Assert.Equal(-3, everything.Attribute("i")!.Int);
        Assert.Equal("text ü", everything.Attribute("s")!.String);
        Assert.Equal([9L], everything.Attribute("t")!.Tensor!.IntData!);
        Assert.Equal([1f, -0.5f], everything.Attribute("floats")!.Floats);
        Assert.Equal([1L, -2, 3], everything.Attribute("ints")!.Ints);
        Assert.Equal(["a", "bc"], everything.Attribute("strings")!.Strings);
        Assert.Equal([2f], everything.Attribute("tensors")!.Tensors[0].FloatData!);
        Assert.Equal("Relu", everything.Attribute("g")!.Graph!.Nodes[0].OpType);
        Assert.Equal(OnnxAttributeType.Graph, everything.Attribute("g")!.Type);
        Assert.Null(everything.Attribute("missing"));
    }

    [Fact]
    public void Writes_what_it_reads()
    {
        var model = OnnxModel.Load(Reference("onnx_messages.onnx"));
        var bytes = model.ToBytes();
        var again = OnnxModel.Parse(bytes, "again");
        Assert.Equal(bytes, again.ToBytes());
        Assert.Equal(model.Graph.Initializers.Select(t => t.Name), again.Graph.Initializers.Select(t => t.Name));
        Assert.Equal(model.Graph.Initializers[0].FloatData!, again.Graph.Initializers[0].FloatData!);
        Assert.Equal(model.Graph.Initializers[4].IntData!, again.Graph.Initializers[4].IntData!);
        Assert.Equal(model.Graph.Initializers[7].DoubleData!, again.Graph.Initializers[7].DoubleData!);
        Assert.Equal("text ü", again.Graph.Nodes[0].Attribute("s")!.String);
        Assert.Equal(model.Metadata, again.Metadata);
    }

    /// <summary>
    /// Every model and tensor file of ONNX's backend test data (Debian's libonnx-testdata) reads, and writes back to
    /// bytes that read the same (the tensor files of values that are sequences or optionals excepted).
    /// </summary>
    [Fact]
    public void Reads_and_rewrites_every_file_of_onnx_test_data()
    {
        int models = 0, tensors = 0;
        foreach (string path in Directory.EnumerateFiles(OnnxTestData.Root, "model.onnx", SearchOption.AllDirectories))
        {
            var model = OnnxModel.Load(path);
            var bytes = model.ToBytes();
            Assert.Equal(bytes, OnnxModel.Parse(bytes, path).ToBytes());
            models++;
            var initialized = model.Graph.Initializers.Select(t => t.Name).ToHashSet();
            var values = new Dictionary<string, IReadOnlyList<OnnxValueInfo>>
            {
                ["input"] = [.. model.Graph.Inputs.Where(input => !initialized.Contains(input.Name))],
                ["output"] = model.Graph.Outputs,
            };
            foreach (string file in Directory.EnumerateFiles(Path.GetDirectoryName(path)!, "*.pb", SearchOption.AllDirectories))
            {
                string[] parts = Path.GetFileNameWithoutExtension(file).Split('_');
                if (values[parts[0]][int.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture)].IsTensor)
                {
                    var tensor = OnnxTensor.Parse(File.ReadAllBytes(file), file);
                    var tensorBytes = tensor.ToBytes();
                    Assert.Equal(tensorBytes, OnnxTensor.Parse(tensorBytes, file).ToBytes());
                    tensors++;
                }
            }
        }
        Assert.True(models > 1000 && tensors > 2000, $"{models} models and {tensors} tensors under {OnnxTestData.Root}");
    }

    [Fact]
    public void A_truncated_model_is_refused_at_its_offset_on_one_line()
    {
        var bytes = File.ReadAllBytes(Reference("torch_mlp_opset17.onnx"));
        for (int length = 0; length < bytes.Length; length += 7)
        {
            try
            {
                OnnxModel.Parse(bytes.AsMemory(0, length), "cut.onnx");
            }
            catch (InvalidDataException e)
            {
                Assert.StartsWith("cut.onnx: not a valid ONNX model: ", e.Message);
                Assert.Matches(" at byte [0-9]+\\.$", e.Message);
                Assert.DoesNotContain('\n', e.Message);
            }
        }
        var truncated = Assert.Throws<InvalidDataException>(() => OnnxModel.Parse(bytes.AsMemory(0, bytes.Length - 1), "cut.onnx"));
        Assert.Contains("truncated", truncated.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x0b }, "field 1 is a group (wire type 3), which ONNX never uses at byte 0")]
    [InlineData(new byte[] { 0x0f }, "field 1 has wire type 7, which protobuf does not define at byte 0")]
    [InlineData(new byte[] { 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01 }, "varint longer than 64 bits at byte 1")]
    [InlineData(new byte[] { 0x08, 0x80 }, "truncated varint at byte 1")]
    [InlineData(new byte[] { 0x3a, 0x05, 0x00 }, "a length of 5 bytes where 1 remain (truncated) at byte 1")]
    [InlineData(new byte[] { 0x08, 0x08 }, "the model has no graph at byte 0")]
    [InlineData(new byte[] { 0x12, 0x01, 0xff, 0x3a, 0x00 }, "a string that is not valid UTF-8 at byte 2")]
    [InlineData(new byte[] { 0x10, 0x01, 0x3a, 0x00 }, "ModelProto field 2 has wire type 0, expected 2 at byte 1")]
    public void Malformed_bytes_are_named_with_their_offset(byte[] bytes, string detail)
    {
        var e = Assert.Throws<InvalidDataException>(() => OnnxModel.Parse(bytes, "bad.onnx"));
        Assert.Equal($"bad.onnx: not a valid ONNX model: {detail}.", e.Message);
    }

    [Fact]
    public void A_tensor_whose_data_does_not_fit_its_dims_is_refused()
    {
        var good = OnnxTensor.Of("w", [2, 2], [1f, 2f, 3f, 4f]);
        var bytes = good.ToBytes();
        Assert.Equal([1f, 2f, 3f, 4f], OnnxTensor.Parse(bytes, "w.pb").FloatData!);
        var lying = new OnnxTensor { Name = "w", Dims = [2, 3], DataType = OnnxDataType.Float, FloatData = [1f, 2f, 3f, 4f] }.ToBytes();
        var e = Assert.Throws<InvalidDataException>(() => OnnxTensor.Parse(lying, "w.pb"));
        Assert.Equal("w.pb: not a valid ONNX tensor: tensor 'w' (float [2, 3]) holds 16 bytes of raw_data, but its shape needs 6 elements at byte 0.", e.Message);
        var negative = new OnnxTensor { Name = "n", Dims = [-1], DataType = OnnxDataType.Float, FloatData = [] }.ToBytes();
        e = Assert.Throws<InvalidDataException>(() => OnnxTensor.Parse(negative, "n.pb"));
        Assert.Contains("tensor 'n' has a negative dimension in [-1]", e.Message);
        // A huge shape with little data is refused before anything of its size is allocated.
        var huge = new OnnxTensor { Name = "h", Dims = [1L << 40, 1L << 40], DataType = OnnxDataType.Int64, IntData = [1] }.ToBytes();
        e = Assert.Throws<InvalidDataException>(() => OnnxTensor.Parse(huge, "h.pb"));
        Assert.Contains("holds 8 bytes of raw_data, but its shape needs 9223372036854775807 elements", e.Message);
    }
}
