using Neurite.Autograd;
using Neurite.Data;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Tests.Reference;
using Neurite.Training;

namespace Neurite.Tests.Onnx;

/// <summary>
/// A LeNet-like CNN exported by PyTorch (Conv, BatchNormalization, Relu, MaxPool, Flatten, Gemm; written by
/// tests/reference/gen_onnx_cnn.py at opsets 17 and 13): imported, it gives torch's outputs, gradients and SGD step,
/// fine-tunes for an epoch, and saves and loads as a Neurite model file.
/// </summary>
public sealed class OnnxCnnImportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-onnx-cnn-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private const string TorchFile = "torch_cnn_onnx.json";

    public static TheoryData<int> Opsets => new([17, 13]);

    private static string TorchModel(int opset) => OnnxProtobufTests.Reference($"torch_cnn_opset{opset}.onnx");

    private static Tensor Classes(System.Text.Json.JsonElement fixture) =>
        Tensor.From([.. fixture.GetProperty("target").EnumerateArray().Select(c => (float)c.GetInt32())], [fixture.GetProperty("target").GetArrayLength()]);

    [Theory]
    [MemberData(nameof(Opsets))]
    public void A_torch_exported_cnn_gives_torchs_outputs_and_gradients(int opset)
    {
        var loaded = OnnxFile.Load(TorchModel(opset));
        var fixture = Fixture.Load(TorchFile);
        Assert.Equal([1, 12, 12], loaded.Spec.Input);
        Assert.Equal([3], loaded.Spec.OutputShape());
        Assert.Equal(["Conv", "BatchNormalization", "Relu", "MaxPool", "Conv", "Relu", "MaxPool", "Flatten", "Gemm"],
            Assert.IsType<OnnxSpec>(Assert.Single(loaded.Spec.Layers)).Model.Graph.Nodes.Select(node => node.OpType));
        Assert.Equal(["0.0.bias", "0.0.weight", "0.1.bias", "0.1.weight", "0.4.bias", "0.4.weight", "0.8.bias", "0.8.weight"],
            loaded.Module.NamedParameters().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["0.1.running_mean", "0.1.running_var"], loaded.Module.NamedBuffers().Select(b => b.Key).Order(StringComparer.Ordinal));
        loaded.Module.Eval();
        var output = loaded.Module.Call(Fixture.ReadTensor(fixture.GetProperty("input")));
        Fixture.AssertClose(Fixture.ReadTensor(fixture.GetProperty("output")), output, $"opset {opset}");
        var loss = Losses.CrossEntropy(output, Classes(fixture));
        Assert.Equal(fixture.GetProperty("loss").GetDouble(), loss.Item(), 5);
        loss.Backward();
        var parameters = loaded.Module.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        foreach (var (name, expected) in Fixture.ReadTensors(fixture.GetProperty("grads")))
        {
            Fixture.AssertClose(expected, parameters["0." + name].Grad, $"opset {opset}: gradient of {name}", relative: 1e-4, absolute: 1e-5);
        }
    }

    /// <summary>One SGD step on the cross-entropy through the imported graph moves every weight as PyTorch's step moved it.</summary>
    [Theory]
    [MemberData(nameof(Opsets))]
    public void One_sgd_step_through_the_imported_cnn_matches_torch(int opset)
    {
        var module = OnnxFile.Load(TorchModel(opset)).Module;
        var fixture = Fixture.Load(TorchFile);
        module.Eval();
        var optimizer = new SGD(module.Parameters(), new SGDOptions(fixture.GetProperty("lr").GetSingle()));
        Losses.CrossEntropy(module.Call(Fixture.ReadTensor(fixture.GetProperty("input"))), Classes(fixture)).Backward();
        optimizer.Step();
        var stepped = Fixture.ReadTensors(fixture.GetProperty("stepped"));
        var parameters = module.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(stepped.Count, parameters.Count);
        foreach (var (name, expected) in stepped)
        {
            Fixture.AssertClose(expected, parameters["0." + name], $"opset {opset}: {name} after one step", relative: 1e-5, absolute: 1e-6);
        }
    }

    /// <summary>A convolution, pool or pad node that does not fit its input is refused on one line naming the node and what is wrong.</summary>
    [Fact]
    public void Convolution_and_pooling_nodes_that_do_not_fit_are_refused_on_one_line()
    {
        static string Refusal(string op, OnnxAttribute[] attributes, params OnnxTensor[] initializers)
        {
            int[] shape = [1, 2, 5, 5];
            var module = new OnnxGraphModule(new OnnxModel
            {
                IrVersion = 8,
                Opsets = [new OnnxOpset("", 17)],
                Graph = new OnnxGraph
                {
                    Nodes = [new OnnxNode { Name = "n", OpType = op, Inputs = ["x", .. initializers.Select(t => t.Name)], Outputs = ["y"], Attributes = attributes }],
                    Inputs = [new OnnxValueInfo { Name = "x", ElementType = OnnxDataType.Float, Shape = [.. shape.Select(size => (OnnxDim)size)] }],
                    Initializers = initializers,
                    Outputs = [new OnnxValueInfo { Name = "y", ElementType = OnnxDataType.Float }],
                },
            }, "cnn.onnx", new Generator(0));
            return Assert.Throws<InvalidDataException>(() => module.Call(Tensor.Zeros(shape))).Message;
        }
        var weight = OnnxTensor.Of("w", [2, 3, 3, 3], new float[54]);
        Assert.Equal("cnn.onnx: node 0 'n' (Conv): the weight is float [2, 3, 3, 3]; input float [1, 2, 5, 5] with group 1 needs [M, 2, kernel…] with M a multiple of 1",
            Refusal("Conv", [], weight));
        Assert.Equal("cnn.onnx: node 0 'n' (Conv): auto_pad 'SAME' is not one of NOTSET, SAME_UPPER, SAME_LOWER and VALID",
            Refusal("Conv", [OnnxAttribute.Of("auto_pad", "SAME")], OnnxTensor.Of("w", [2, 2, 3, 3], new float[36])));
        Assert.Equal("cnn.onnx: node 0 'n' (MaxPool): kernel_shape is missing", Refusal("MaxPool", []));
        Assert.Equal("cnn.onnx: node 0 'n' (AveragePool): the kernel [7, 2] (dilations [1, 1]) does not fit the input's spatial sizes [5, 5] padded by [0, 1, 0, 1]",
            Refusal("AveragePool", [OnnxAttribute.Of("kernel_shape", [7L, 2L]), OnnxAttribute.Of("pads", [0L, 1L, 0L, 1L])]));
        Assert.Equal("cnn.onnx: node 0 'n' (MaxPool): pads [2, 0, 0, 0] are not narrower than the kernel's span 2 on spatial axis 0, so some windows would see only padding",
            Refusal("MaxPool", [OnnxAttribute.Of("kernel_shape", [2L, 2L]), OnnxAttribute.Of("pads", [2L, 0L, 0L, 0L])]));
        Assert.Equal("cnn.onnx: node 0 'n' (Pad): mode 'wrap' is not one of constant, reflect and edge",
            Refusal("Pad", [OnnxAttribute.Of("mode", "wrap")], OnnxTensor.Of("pads", [8], new long[8])));
        // A legal graph that would make a huge value from a small one (the fuzzer's 2.8 KB file asked for 200 MB):
        // 50 + 54 starting elements allow 262,144; the windows of [65539, 3] times a 3×3 kernel are far more.
        Assert.Equal("cnn.onnx: node 0 'n' (Conv): the windows of 2 planes, output [65538, 3] times kernel [3, 3], has 3,539,052 elements, more than this run may make (at most 262,144: 64 × the 104 elements of its inputs and weights, and at least 262,144)",
            Refusal("Conv", [OnnxAttribute.Of("pads", [0L, 0L, 65535L, 0L])], OnnxTensor.Of("w", [3, 2, 3, 3], new float[54])));
        Assert.Equal("cnn.onnx: node 0 'n' (Pad): shape [1, 2, 5, 65540] has 655,400 elements, more than this run may make (at most 262,144: 64 × the 58 elements of its inputs and weights, and at least 262,144)",
            Refusal("Pad", [], OnnxTensor.Of("pads", [8], new long[] { 0, 0, 0, 0, 0, 0, 0, 65535 })));
    }

    /// <summary>
    /// Fine-tuned for an epoch by the Trainer (Adam, shuffled batches of 8, training mode: batch norm on the batch's
    /// statistics) to tell which third of an image holds a bright bar; saved as a Neurite model file, loaded back
    /// with the same predictions.
    /// </summary>
    [Fact]
    public void The_imported_cnn_fine_tunes_saves_and_loads()
    {
        var model = OnnxFile.Load(TorchModel(17));
        var rng = new Generator(5);
        const int Count = 96;
        var x = Tensor.Uniform([Count, 1, 12, 12], -0.5f, 0.5f, rng);
        var classes = new float[Count];
        for (int i = 0; i < Count; i++)
        {
            classes[i] = i % 3;
            for (int row = 4 * (i % 3) + 1; row < 4 * (i % 3) + 3; row++)
            {
                for (int column = 2; column < 10; column++)
                {
                    x.Data[(i * 12 + row) * 12 + column] += 2f;
                }
            }
        }
        var y = Tensor.From(classes, [Count]);
        var running = model.Module.StateDict()["0.1.running_mean"].ToArray();
        var trainer = new Trainer(model.Module, Objective.FromName("cross_entropy"), new Adam(model.Module.Parameters(), new AdamOptions(0.01)));
        float before = Losses.CrossEntropy(trainer.Predict(x), y).Item();
        trainer.Fit(new DataLoader(new Dataset(x, y, TaskKind.Classification), batchSize: 8, shuffle: true, seed: 1), null, epochs: 1);
        float after = Losses.CrossEntropy(trainer.Predict(x), y).Item();
        Assert.True(after < 0.7 * before, $"cross-entropy {before} → {after} after one epoch");
        Assert.NotEqual(running, model.Module.StateDict()["0.1.running_mean"].ToArray());

        string path = Path.Combine(_directory, "cnn.safetensors");
        ModelFile.Save(path, model.Module, model.Spec);
        var reloaded = ModelFile.Load(path);
        Assert.Equal(model.Spec, reloaded.Spec);
        Assert.Equal(trainer.Predict(x).ToArray(), new Trainer(reloaded.Module, Objective.FromName("cross_entropy")).Predict(x).ToArray());
    }
}
