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
/// ONNX import: a PyTorch-exported MLP (tests/reference/gen_onnx.py, opsets 17 and 13) imported, checked against
/// torch's outputs and one SGD step, fine-tuned, saved and loaded; Neurite's own exports imported back; and the
/// refusals of what cannot be imported.
/// </summary>
public sealed class OnnxImportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-onnx-import-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private const string TorchFile = "torch_mlp_onnx.json";

    public static TheoryData<int> Opsets => new([17, 13]);

    private static string TorchModel(int opset) => OnnxProtobufTests.Reference($"torch_mlp_opset{opset}.onnx");

    [Theory]
    [MemberData(nameof(Opsets))]
    public void A_torch_exported_mlp_imports_with_torchs_names_and_outputs(int opset)
    {
        var loaded = OnnxFile.Load(TorchModel(opset));
        var fixture = Fixture.Load(TorchFile);
        Assert.Equal([4], loaded.Spec.Input);
        Assert.Equal([3], loaded.Spec.OutputShape());
        var onnx = Assert.IsType<OnnxSpec>(Assert.Single(loaded.Spec.Layers));
        Assert.Equal(opset, onnx.Model.OpsetVersion());
        // PyTorch's state-dict names under the chain's "0.": parameters where the graph differentiates, buffers for the running statistics.
        Assert.Equal(["0.0.bias", "0.0.weight", "0.1.bias", "0.1.weight", "0.4.bias", "0.4.weight", "0.5.bias", "0.5.weight", "0.7.bias", "0.7.weight"],
            loaded.Module.NamedParameters().Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(["0.5.running_mean", "0.5.running_var"], loaded.Module.NamedBuffers().Select(b => b.Key).Order(StringComparer.Ordinal));
        loaded.Module.Eval();
        var output = loaded.Module.Call(Fixture.ReadTensor(fixture.GetProperty("input")));
        Fixture.AssertClose(Fixture.ReadTensor(fixture.GetProperty("output")), output, $"opset {opset}");
    }

    /// <summary>One SGD step on the MSE loss through the imported graph moves every weight as PyTorch's step moved it.</summary>
    [Theory]
    [MemberData(nameof(Opsets))]
    public void One_sgd_step_through_the_imported_graph_matches_torch(int opset)
    {
        var loaded = OnnxFile.Load(TorchModel(opset));
        var fixture = Fixture.Load(TorchFile);
        var module = loaded.Module;
        module.Eval();
        var optimizer = new SGD(module.Parameters(), new SGDOptions(fixture.GetProperty("lr").GetSingle()));
        var loss = Losses.Mse(module.Call(Fixture.ReadTensor(fixture.GetProperty("input"))), Fixture.ReadTensor(fixture.GetProperty("target")));
        Assert.Equal(fixture.GetProperty("loss").GetDouble(), loss.Item(), 5);
        loss.Backward();
        optimizer.Step();
        var stepped = Fixture.ReadTensors(fixture.GetProperty("stepped"));
        var parameters = module.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(stepped.Count, parameters.Count);
        foreach (var (name, expected) in stepped)
        {
            Fixture.AssertClose(expected, parameters["0." + name], $"opset {opset}: {name} after one step", relative: 1e-5, absolute: 1e-6);
        }
    }

    /// <summary>
    /// What PyTorch's exporter writes around catalog layers (shape arithmetic, chunk, slice, clamp, where, reductions):
    /// imported, the graph gives torch's output and torch's gradients of its sum.
    /// </summary>
    [Theory]
    [MemberData(nameof(Opsets))]
    public void A_torch_exported_graph_of_shape_arithmetic_gives_torchs_outputs_and_gradients(int opset)
    {
        var loaded = OnnxFile.Load(OnnxProtobufTests.Reference($"torch_ops_opset{opset}.onnx"));
        var fixture = Fixture.Load("torch_ops_onnx.json");
        Assert.Equal([2, 3], loaded.Spec.Input);
        loaded.Module.Eval();
        var output = loaded.Module.Call(Fixture.ReadTensor(fixture.GetProperty("input")));
        Fixture.AssertClose(Fixture.ReadTensor(fixture.GetProperty("output")), output, $"opset {opset}");
        Ops.Sum(output).Backward();
        var parameters = loaded.Module.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        foreach (var (name, expected) in Fixture.ReadTensors(fixture.GetProperty("grads")))
        {
            Fixture.AssertClose(expected, parameters["0." + name].Grad, $"opset {opset}: gradient of {name}", relative: 1e-4, absolute: 1e-5);
        }
    }

    /// <summary>
    /// Fine-tuned for an epoch by the library's Trainer (Adam, shuffled batches of 8, training mode), as the README
    /// shows; saved as a Neurite model file and loaded back with the same outputs.
    /// </summary>
    [Fact]
    public void An_imported_model_fine_tunes_saves_and_loads()
    {
        var model = OnnxFile.Load(TorchModel(17));
        var rng = new Generator(3);
        var x = Tensor.Uniform([64, 4], -2, 2, rng);
        var y = Tensor.From([.. Enumerable.Range(0, 64 * 3).Select(i => MathF.Abs(x[i / 3, i % 3]) * 0.5f)], [64, 3]);
        var train = new Dataset(x, y, TaskKind.Regression);
        var running = model.Module.StateDict()["0.5.running_mean"].ToArray();
        var trainer = new Trainer(model.Module, Objective.FromName("mse"), new Adam(model.Module.Parameters(), new AdamOptions(0.01)));
        float before = Losses.Mse(trainer.Predict(x), y).Item();
        trainer.Fit(new DataLoader(train, batchSize: 8, shuffle: true, seed: 1), null, epochs: 1);
        float after = Losses.Mse(trainer.Predict(x), y).Item();
        Assert.True(after < 0.9 * before, $"MSE {before} → {after} after one epoch");
        // Training mode used batch statistics and moved the running ones, as torch.nn.BatchNorm1d does.
        Assert.NotEqual(running, model.Module.StateDict()["0.5.running_mean"].ToArray());

        string path = Path.Combine(_directory, "fine-tuned.safetensors");
        ModelFile.Save(path, model.Module, model.Spec);
        var reloaded = ModelFile.Load(path);
        Assert.Equal(model.Spec, reloaded.Spec);
        Assert.Equal(model.Spec, ModelSpec.Parse(model.Spec.ToJson()));
        Assert.Equal(trainer.Predict(x).ToArray(), new Trainer(reloaded.Module, Objective.FromName("mse")).Predict(x).ToArray());
    }

    /// <summary>Each of Neurite's export cases, imported back, computes what the model did; exported again, ONNX Runtime agrees.</summary>
    [Theory]
    [MemberData(nameof(OnnxExportTests.CaseNames), MemberType = typeof(OnnxExportTests))]
    public void A_neurite_export_imports_back_and_exports_again(string name)
    {
        var (spec, module, inputs) = OnnxExportTests.Model(name);
        var names = spec.Network().Inputs.Select(input => input.Name).ToList();
        var expected = module.Call([.. names.Select(input => inputs[input])]);
        var imported = OnnxFile.Import(OnnxFile.Export(module, spec), name);
        imported.Module.Eval();
        Fixture.AssertClose(expected, imported.Module.Call([.. names.Select(input => inputs[input])]), $"{name} imported", 1e-5, 1e-6);
        var again = OnnxFile.Export(imported.Module, imported.Spec).ToBytes();
        OnnxRuntimeReference.AssertClose(expected, OnnxRuntimeReference.Run(again, inputs), $"{name} exported again");
    }

    [Fact]
    public void The_onnx_layer_describes_itself_and_round_trips_as_json()
    {
        var spec = OnnxFile.Load(TorchModel(17)).Spec;
        var layer = (OnnxSpec)spec.Layers[0];
        Assert.Equal("onnx(opset 17, 20 nodes: Constant×5, Mul×4, Gemm×3, Div×2, …)", layer.Describe());
        var summary = spec.Summarize();
        Assert.Equal(16 * 4 + 16 + 16 + 16 + 12 * 16 + 12 + 12 + 12 + 3 * 12 + 3, summary.TotalParams);
        string json = spec.ToJson();
        // Attributes keep their ONNX types: INT as an integer, FLOAT with a point or an exponent.
        string compact = spec.ToJson(indented: false);
        Assert.Contains("\"op\":\"Gemm\",\"name\":\"/0/Gemm\",\"inputs\":[\"input\",\"0.weight\",\"0.bias\"],\"outputs\":[\"/0/Gemm_output_0\"],\"attributes\":{\"alpha\":1.0,\"beta\":1.0,\"transB\":1}", compact);
        Assert.Contains("\"attributes\":{\"axis\":-1,\"epsilon\":1E-05}", compact);
        Assert.Equal(spec, ModelSpec.Parse(json));
    }

    [Fact]
    public void Unsupported_or_malformed_graphs_are_refused_on_one_line_naming_the_node()
    {
        var model = OnnxModel.Load(TorchModel(17));
        InvalidDataException Refusal(Func<OnnxGraph, OnnxGraph> change, string name = "bad.onnx") =>
            Assert.Throws<InvalidDataException>(() => OnnxFile.Import(new OnnxModel { IrVersion = 8, Opsets = model.Opsets, Graph = change(model.Graph) }, name));
        OnnxGraph WithNode(OnnxGraph graph, int index, OnnxNode node) => new()
        {
            Nodes = [.. graph.Nodes.Select((n, i) => i == index ? node : n)],
            Initializers = graph.Initializers,
            Inputs = graph.Inputs,
            Outputs = graph.Outputs,
        };
        var gemm = model.Graph.Nodes[0];

        var e = Refusal(g => WithNode(g, 0, new OnnxNode { OpType = "Conv3dTranspose", Name = "x", Inputs = gemm.Inputs, Outputs = gemm.Outputs }));
        Assert.Equal("bad.onnx: node 0 'x' (Conv3dTranspose): the operator Conv3dTranspose is not supported.", e.Message);
        e = Refusal(g => WithNode(g, 0, new OnnxNode { OpType = "Gemm", Domain = "com.microsoft", Inputs = gemm.Inputs, Outputs = gemm.Outputs }));
        Assert.Equal("bad.onnx: node 0 (Gemm): the operator com.microsoft::Gemm is not one of ONNX's own, which are all Neurite runs.", e.Message);
        e = Refusal(g => WithNode(g, 0, new OnnxNode { OpType = "Gemm", Inputs = gemm.Inputs, Outputs = gemm.Outputs, Attributes = [OnnxAttribute.Of("gamma", 1L)] }));
        Assert.Equal("bad.onnx: node 0 (Gemm): the attribute 'gamma' is not supported.", e.Message);
        e = Refusal(g => WithNode(g, 0, new OnnxNode { OpType = "Gemm", Inputs = ["input", "nowhere"], Outputs = gemm.Outputs }));
        Assert.Equal("bad.onnx: node 0 (Gemm): input 1 'nowhere' is not a graph input, an initializer or the output of an earlier node.", e.Message);
        e = Refusal(g => WithNode(g, 0, new OnnxNode { OpType = "Gemm", Inputs = gemm.Inputs, Outputs = gemm.Outputs, Attributes = [OnnxAttribute.Of("transB", 0.5f)] }));
        Assert.Equal("bad.onnx: node 0 (Gemm): attribute 'transB' is FLOAT, Gemm takes INT", e.Message);
        e = Refusal(g => new OnnxGraph
        {
            Nodes = g.Nodes,
            Initializers = g.Initializers,
            Inputs = [new OnnxValueInfo { Name = "input", ElementType = OnnxDataType.Double, Shape = ["batch", 4L] }],
            Outputs = g.Outputs,
        });
        Assert.Equal("bad.onnx: input 'input' is double [batch, 4]; Neurite takes float32, integer and bool tensors.", e.Message);
        e = Refusal(g => new OnnxGraph
        {
            Nodes = g.Nodes,
            Initializers = [.. g.Initializers.Select(t => t.Name == "0.weight" ? new OnnxTensor { Name = t.Name, Dims = t.Dims, DataType = OnnxDataType.Double, DoubleData = new double[64] } : t)],
            Inputs = g.Inputs,
            Outputs = g.Outputs,
        });
        Assert.Equal("bad.onnx: initializer: tensor '0.weight' is double, which Neurite does not support (float32, integers and bool).", e.Message);
        e = Refusal(g => new OnnxGraph
        {
            Nodes = g.Nodes,
            Initializers = g.Initializers,
            Inputs = [new OnnxValueInfo { Name = "input", ElementType = OnnxDataType.Float, Shape = ["batch", "features"] }],
            Outputs = g.Outputs,
        });
        Assert.Equal("bad.onnx: the input 'input' is float [batch, features]; Neurite needs a batch axis first and the size of every axis after it (at least one).", e.Message);
        e = Assert.Throws<InvalidDataException>(() => OnnxFile.Import(new OnnxModel { IrVersion = 9, Opsets = [new OnnxOpset("", 19)], Graph = model.Graph }, "new.onnx"));
        Assert.Equal("new.onnx: the model imports opset 19 of ONNX's operators; Neurite reads opsets 1 to 17.", e.Message);

        string truncated = Path.Combine(_directory, "truncated.onnx");
        File.WriteAllBytes(truncated, File.ReadAllBytes(TorchModel(17))[..1000]);
        e = Assert.Throws<InvalidDataException>(() => OnnxFile.Load(truncated));
        Assert.Matches($"^{System.Text.RegularExpressions.Regex.Escape(truncated)}: not a valid ONNX model: .* at byte [0-9]+\\.$", e.Message);
    }

    [Fact]
    public void A_node_that_fails_on_its_values_is_named()
    {
        var loaded = OnnxFile.Load(TorchModel(17));
        var e = Assert.Throws<ArgumentException>(() => loaded.Module.Call(Tensor.Zeros([2, 5])));
        Assert.Equal($"{TorchModel(17)}: input 'input' takes float [batch, 4], got float [2, 5].", e.Message);
        var model = OnnxModel.Load(TorchModel(17));
        var reshape = new OnnxModel
        {
            IrVersion = 8,
            Opsets = model.Opsets,
            Graph = new OnnxGraph
            {
                Nodes = [new OnnxNode { OpType = "Reshape", Name = "r", Inputs = ["input", "shape"], Outputs = ["output"] }],
                Initializers = [OnnxTensor.Of("shape", [2], new long[] { 3, -1 })],
                Inputs = [new OnnxValueInfo { Name = "input", ElementType = OnnxDataType.Float, Shape = ["batch", 4L] }],
                Outputs = [new OnnxValueInfo { Name = "output", ElementType = OnnxDataType.Float }],
            },
        };
        var module = new OnnxGraphModule(reshape, "reshape.onnx", new Generator(0));
        var failure = Assert.Throws<InvalidDataException>(() => module.Call(Tensor.Zeros([2, 4])));
        Assert.Equal("reshape.onnx: node 0 'r' (Reshape): cannot reshape float [2, 4] to [3, -1]", failure.Message);
    }
}
