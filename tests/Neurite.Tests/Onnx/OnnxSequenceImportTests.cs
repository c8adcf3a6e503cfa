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
/// Sequence models exported by PyTorch 1.13 (tests/reference/gen_onnx_sequence.py, opsets 17 and 13): an
/// Embedding → LSTM → Linear classifier of int64 ids, imported, checked against torch's outputs, gradients and one
/// SGD step, fine-tuned, saved and loaded; and a Transformer encoder layer with a causal mask.
/// </summary>
public sealed class OnnxSequenceImportTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-onnx-sequence-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    public static TheoryData<int> Opsets => new([17, 13]);

    private static LoadedModel Torch(string name, int opset) => OnnxFile.Load(OnnxProtobufTests.Reference($"torch_{name}_opset{opset}.onnx"));

    /// <summary>
    /// The LSTM classifier takes int64 ids [batch, 5] and gives torch's logits, loss and gradients (those of the
    /// weights the exporter keeps by name); one SGD step gives torch's logits after its step, which every weight's
    /// gradient moved (the LSTM's are initializers the exporter reordered into ONNX's gate order).
    /// </summary>
    [Theory]
    [MemberData(nameof(Opsets))]
    public void A_torch_exported_lstm_gives_torchs_outputs_gradients_and_sgd_step(int opset)
    {
        var loaded = Torch("lstm", opset);
        var fixture = Fixture.Load("torch_lstm_onnx.json");
        Assert.Equal([5], loaded.Spec.Input);
        Assert.Equal([3], loaded.Spec.OutputShape());
        Assert.Contains(Assert.IsType<OnnxSpec>(Assert.Single(loaded.Spec.Layers)).Model.Graph.Nodes, node => node.OpType == "LSTM");
        var module = loaded.Module;
        module.Eval();
        var ids = Fixture.ReadTensor(fixture.GetProperty("input"));
        var output = module.Call(ids);
        Fixture.AssertClose(Fixture.ReadTensor(fixture.GetProperty("output")), output, $"opset {opset}: logits");
        var loss = Losses.CrossEntropy(output, Fixture.ReadTensor(fixture.GetProperty("labels")));
        Assert.Equal(fixture.GetProperty("loss").GetDouble(), loss.Item(), 5);
        loss.Backward();
        var parameters = module.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        foreach (var (name, expected) in Fixture.ReadTensors(fixture.GetProperty("grads")))
        {
            Fixture.AssertClose(expected, parameters["0." + name].Grad, $"opset {opset}: gradient of {name}", relative: 1e-4, absolute: 1e-6);
        }
        Assert.All(parameters, p => Assert.NotNull(p.Value.Grad));
        new SGD(module.Parameters(), new SGDOptions(fixture.GetProperty("lr").GetSingle())).Step();
        using (Graph.NoGrad())
        {
            Fixture.AssertClose(Fixture.ReadTensor(fixture.GetProperty("stepped_output")), module.Call(ids), $"opset {opset}: logits after one step",
                relative: 1e-4, absolute: 1e-5);
        }
    }

    /// <summary>
    /// The imported LSTM fine-tunes for an epoch (Adam, shuffled batches of 8, cross-entropy) on sequences whose class
    /// is their last id mod 3, is saved as a Neurite model file, and loads back with the same predictions.
    /// </summary>
    [Fact]
    public void An_imported_lstm_fine_tunes_saves_and_loads()
    {
        var model = Torch("lstm", 17);
        var rng = new Generator(5);
        var ids = Tensor.From([.. Tensor.Uniform([128, 5], 0, 12, rng).ToArray().Select(MathF.Floor)], [128, 5]);
        var labels = Tensor.From([.. Enumerable.Range(0, 128).Select(n => ids[n, 4] % 3)], [128]);
        var train = new Dataset(ids, labels, TaskKind.Classification);
        var trainer = new Trainer(model.Module, Objective.FromName("cross_entropy"), new Adam(model.Module.Parameters(), new AdamOptions(0.02)));
        float before = Losses.CrossEntropy(trainer.Predict(ids), labels).Item();
        trainer.Fit(new DataLoader(train, batchSize: 8, shuffle: true, seed: 1), null, epochs: 1);
        float after = Losses.CrossEntropy(trainer.Predict(ids), labels).Item();
        Assert.True(after < 0.8 * before, $"cross-entropy {before} → {after} after one epoch");

        string path = Path.Combine(_directory, "lstm.safetensors");
        ModelFile.Save(path, model.Module, model.Spec);
        var reloaded = ModelFile.Load(path);
        Assert.Equal(model.Spec, reloaded.Spec);
        Assert.Equal(trainer.Predict(ids).ToArray(), new Trainer(reloaded.Module, Objective.FromName("cross_entropy")).Predict(ids).ToArray());
    }

    /// <summary>
    /// A Transformer encoder layer with a causal mask, as PyTorch's exporter writes it at opsets 17 and 13 (MatMul,
    /// Reshape, Transpose, Softmax, LayerNormalization or its composition, …): torch's logits, and torch's gradients
    /// of their sum for every weight the graph keeps by name.
    /// </summary>
    [Theory]
    [MemberData(nameof(Opsets))]
    public void A_torch_exported_transformer_encoder_layer_gives_torchs_outputs_and_gradients(int opset)
    {
        var loaded = Torch("transformer", opset);
        var fixture = Fixture.Load("torch_transformer_onnx.json");
        loaded.Module.Eval();
        var output = loaded.Module.Call(Fixture.ReadTensor(fixture.GetProperty("input")));
        Fixture.AssertClose(Fixture.ReadTensor(fixture.GetProperty("output")), output, $"opset {opset}");
        Ops.Sum(output).Backward();
        var parameters = loaded.Module.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        var named = Fixture.ReadTensors(fixture.GetProperty("grads")).Where(entry => parameters.ContainsKey("0." + entry.Key)).ToList();
        Assert.True(named.Count >= 8, $"only {named.Count} of torch's parameters are named in the graph");
        foreach (var (name, expected) in named)
        {
            Fixture.AssertClose(expected, parameters["0." + name].Grad, $"opset {opset}: gradient of {name}", relative: 1e-4, absolute: 1e-5);
        }
    }

    /// <summary>What the recurrent operators do not run, or inputs that do not fit them, are refused on one line naming the node.</summary>
    [Fact]
    public void Unsupported_recurrent_attributes_and_misshapen_weights_are_refused_naming_the_node()
    {
        var model = OnnxModel.Load(OnnxProtobufTests.Reference("torch_lstm_opset17.onnx"));
        int index = model.Graph.Nodes.ToList().FindIndex(node => node.OpType == "LSTM");
        var lstm = model.Graph.Nodes[index];
        string Refusal(Func<OnnxNode, OnnxNode> change) => Assert.Throws<InvalidDataException>(() => OnnxFile.Import(new OnnxModel
        {
            IrVersion = 8,
            Opsets = model.Opsets,
            Graph = new OnnxGraph
            {
                Nodes = [.. model.Graph.Nodes.Select((node, i) => i == index ? change(node) : node)],
                Initializers = model.Graph.Initializers,
                Inputs = model.Graph.Inputs,
                Outputs = model.Graph.Outputs,
            },
        }, "lstm.onnx")).Message;
        OnnxNode With(OnnxNode node, OnnxAttribute attribute) => new()
        {
            Name = node.Name,
            OpType = node.OpType,
            Inputs = node.Inputs,
            Outputs = node.Outputs,
            Attributes = [.. node.Attributes.Where(a => a.Name != attribute.Name), attribute],
        };
        string where = $"lstm.onnx: node {index} '{lstm.Name}' (LSTM)";

        Assert.Equal($"{where}: the activation 'Gelu' is not supported",
            Refusal(node => With(node, new OnnxAttribute { Name = "activations", Type = OnnxAttributeType.Strings, Strings = ["Sigmoid", "Gelu", "Tanh"] })));
        Assert.Equal($"{where}: input_forget=1 (coupled input and forget gates) is not supported", Refusal(node => With(node, OnnxAttribute.Of("input_forget", 1L))));
        Assert.Equal($"{where}: layout 2 is not 0 or 1", Refusal(node => With(node, OnnxAttribute.Of("layout", 2L))));
        Assert.Equal($"{where}: direction 'sideways' is not forward, reverse or bidirectional", Refusal(node => With(node, OnnxAttribute.Of("direction", "sideways"))));
        Assert.Equal($"{where}: input 1 (W) is [1, 32, 6]; it must be [2, 32, 6]", Refusal(node => With(node, OnnxAttribute.Of("direction", "bidirectional"))));
    }
}
