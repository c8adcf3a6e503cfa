using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Tests.Serialization;

namespace Neurite.Tests.Onnx;

/// <summary>
/// Every built-in layer type, and models made of them (chains, residual blocks, graphs with concat and add),
/// exported to ONNX and run in ONNX Runtime, which must give Neurite's outputs (relative 1e-4).
/// </summary>
public class OnnxExportTests
{
    /// <summary>A model per case: its spec, what it covers, and the layer types it exercises.</summary>
    public static TheoryData<string> CaseNames => new(Cases.Keys);

    internal static readonly Dictionary<string, string> Cases = new()
    {
        ["linear"] = """{"input": [5], "layers": [{"type": "linear", "out": 3}]}""",
        ["linear_no_bias"] = """{"input": [5], "layers": [{"type": "linear", "out": 3, "bias": false}]}""",
        ["linear_on_sequences"] = """{"input": [4, 5], "layers": [{"type": "linear", "out": 3}, {"type": "linear", "out": 2, "bias": false}]}""",
        ["relu"] = Activation("""{"type": "relu"}"""),
        ["sigmoid"] = Activation("""{"type": "sigmoid"}"""),
        ["tanh"] = Activation("""{"type": "tanh"}"""),
        ["step"] = Activation("""{"type": "step"}"""),
        ["silu"] = Activation("""{"type": "silu"}"""),
        ["identity"] = Activation("""{"type": "identity"}"""),
        ["leaky_relu"] = Activation("""{"type": "leaky_relu", "alpha": 0.2}"""),
        ["elu"] = Activation("""{"type": "elu", "alpha": 0.5}"""),
        ["gelu"] = Activation("""{"type": "gelu"}"""),
        ["gelu_tanh"] = Activation("""{"type": "gelu", "approximate": "tanh"}"""),
        ["softplus"] = Activation("""{"type": "softplus"}"""),
        ["softplus_beta_threshold"] = Activation("""{"type": "softplus", "beta": 2, "threshold": 5}"""),
        ["softmax"] = Activation("""{"type": "softmax"}"""),
        ["softmax_axis_1"] = """{"input": [3, 4], "layers": [{"type": "softmax", "axis": 1}]}""",
        ["log_softmax"] = """{"input": [3, 4], "layers": [{"type": "log_softmax", "axis": -2}]}""",
        ["flatten"] = """{"input": [2, 3, 4], "layers": [{"type": "flatten"}, {"type": "linear", "out": 2}]}""",
        ["flatten_inner_axes"] = """{"input": [2, 3, 4, 2], "layers": [{"type": "flatten", "start_dim": 2, "end_dim": 3}]}""",
        ["dropout"] = """{"input": [6], "layers": [{"type": "linear", "out": 6}, {"type": "dropout", "p": 0.3}]}""",
        ["batch_norm"] = """{"input": [6], "layers": [{"type": "linear", "out": 4}, {"type": "batch_norm", "eps": 0.001, "momentum": 0.5}]}""",
        ["batch_norm_sequences"] = """{"input": [3, 5], "layers": [{"type": "batch_norm"}]}""",
        ["batch_norm_without_affine"] = """{"input": [4], "layers": [{"type": "batch_norm", "affine": false}]}""",
        ["layer_norm"] = """{"input": [2, 6], "layers": [{"type": "linear", "out": 5}, {"type": "layer_norm", "eps": 0.01}]}""",
        ["layer_norm_without_affine"] = """{"input": [6], "layers": [{"type": "layer_norm", "elementwise_affine": false}]}""",
        ["conv1d"] = """{"input": [3, 9], "layers": [{"type": "conv1d", "out": 4, "kernel": 3, "stride": 2, "padding": 1, "dilation": 2}]}""",
        ["conv1d_same_groups"] = """{"input": [4, 7], "layers": [{"type": "conv1d", "out": 6, "kernel": 4, "padding": "same", "groups": 2, "bias": false}]}""",
        ["conv2d"] = """{"input": [3, 8, 7], "layers": [{"type": "conv2d", "out": 4, "kernel": [3, 2], "stride": [2, 1], "padding": [1, 2]}]}""",
        ["conv2d_same_dilation_groups"] = """{"input": [4, 6, 6], "layers": [{"type": "conv2d", "out": 2, "kernel": [2, 3], "padding": "same", "dilation": [3, 2], "groups": 2}]}""",
        ["conv_transpose2d"] = """{"input": [4, 3, 4], "layers": [{"type": "conv_transpose2d", "out": 6, "kernel": [3, 2], "stride": [2, 3], "padding": [1, 0], "output_padding": [1, 2], "dilation": [1, 2], "groups": 2}]}""",
        ["max_pool2d"] = """{"input": [2, 7, 6], "layers": [{"type": "max_pool2d", "kernel": 3, "stride": [2, 1], "padding": 1}]}""",
        ["avg_pool2d"] = """{"input": [2, 7, 6], "layers": [{"type": "avg_pool2d", "kernel": [3, 2], "stride": 2, "padding": 1}]}""",
        ["adaptive_avg_pool2d_global"] = """{"input": [3, 5, 4], "layers": [{"type": "adaptive_avg_pool2d", "out": 1}]}""",
        ["adaptive_avg_pool2d_uniform"] = """{"input": [3, 6, 8], "layers": [{"type": "adaptive_avg_pool2d", "out": [3, 2]}]}""",
        ["dropout2d"] = """{"input": [3, 4, 4], "layers": [{"type": "conv2d", "out": 2, "kernel": 3}, {"type": "dropout2d", "p": 0.3}]}""",
        ["batch_norm_images"] = """{"input": [3, 4, 5], "layers": [{"type": "conv2d", "out": 2, "kernel": 1}, {"type": "batch_norm", "momentum": 0.3}]}""",
        ["cnn"] = """
            {"input": [1, 12, 12], "layers": [{"type": "conv2d", "out": 4, "kernel": 3, "padding": 1}, {"type": "batch_norm"}, {"type": "relu"},
             {"type": "max_pool2d", "kernel": 2}, {"type": "conv2d", "out": 6, "kernel": 3}, {"type": "relu"}, {"type": "dropout2d"},
             {"type": "avg_pool2d", "kernel": 2}, {"type": "flatten"}, {"type": "linear", "out": 3}, {"type": "log_softmax"}]}
            """,
        ["residual"] = """{"input": [4], "layers": [{"type": "residual", "layers": [{"type": "linear", "out": 8}, {"type": "tanh"}, {"type": "linear", "out": 4}]}, {"type": "relu"}]}""",
        ["unflatten"] = """{"input": [12], "layers": [{"type": "unflatten", "unflattened_size": [3, 4]}, {"type": "linear", "out": 2}]}""",
        ["gaussian_noise"] = """{"input": [5], "layers": [{"type": "gaussian_noise", "std": 0.5}, {"type": "linear", "out": 3}]}""",
        ["gaussian_sample"] = """
            {"input": [6], "nodes": [
              {"name": "mu", "type": "linear", "out": 2}, {"name": "logvar", "type": "linear", "out": 2, "inputs": ["input"]},
              {"name": "z", "type": "gaussian_sample", "inputs": ["mu", "logvar"]}, {"name": "out", "type": "linear", "out": 6}]}
            """,
        ["rbm"] = """{"input": [6], "layers": [{"type": "rbm", "hidden": 4, "k": 2}]}""",
        ["concat_graph"] = """
            {"input": [2], "nodes": [{"name": "h1", "type": "linear", "out": 8}, {"name": "a1", "type": "relu"},
             {"name": "unused", "type": "linear", "out": 3, "inputs": ["input"]},
             {"name": "cat", "type": "concat", "inputs": ["input", "a1"]}, {"name": "out", "type": "linear", "out": 2}], "output": "out"}
            """,
        ["add_graph"] = """
            {"input": [3], "nodes": [{"name": "a", "type": "linear", "out": 3}, {"name": "b", "type": "tanh", "inputs": ["a"]},
             {"name": "sum", "type": "add", "inputs": ["input", "a", "b"]}, {"name": "pair", "type": "add", "inputs": ["sum", "b"]}]}
            """,
        ["concat_axis_1"] = """
            {"input": [2, 3], "nodes": [{"name": "a", "type": "linear", "out": 3}, {"name": "cat", "type": "concat", "axis": 1, "inputs": ["input", "a"]}]}
            """,
        ["two_inputs"] = """
            {"inputs": {"x": [2], "y": [3]}, "nodes": [{"name": "cat", "type": "concat", "inputs": ["x", "y"]}, {"name": "out", "type": "linear", "out": 1}]}
            """,
        ["mlp"] = """
            {"input": [1, 4, 4], "layers": [{"type": "flatten"}, {"type": "linear", "out": 32}, {"type": "batch_norm"}, {"type": "relu"},
             {"type": "dropout", "p": 0.2}, {"type": "linear", "out": 16}, {"type": "layer_norm"}, {"type": "gelu"}, {"type": "linear", "out": 10},
             {"type": "log_softmax"}]}
            """,
        ["embedding"] = """{"input": [5], "layers": [{"type": "embedding", "num": 7, "dim": 4}, {"type": "mean_pool"}]}""",
        ["embedding_lstm"] = """{"input": [6], "layers": [{"type": "embedding", "num": 9, "dim": 4}, {"type": "lstm", "hidden": 5}, {"type": "linear", "out": 2}]}""",
        ["rnn"] = """{"input": [4, 3], "layers": [{"type": "rnn", "hidden": 5, "return_sequences": true}]}""",
        ["rnn_stacked_bidirectional"] = """{"input": [4, 3], "layers": [{"type": "rnn", "hidden": 3, "layers": 2, "bidirectional": true}]}""",
        ["lstm"] = """{"input": [5, 3], "layers": [{"type": "lstm", "hidden": 4}]}""",
        ["lstm_stacked_bidirectional_sequences"] = """{"input": [5, 3], "layers": [{"type": "lstm", "hidden": 4, "layers": 2, "bidirectional": true, "return_sequences": true, "dropout": 0.3}]}""",
        ["lstm_bidirectional"] = """{"input": [5, 3], "layers": [{"type": "lstm", "hidden": 4, "bidirectional": true}, {"type": "linear", "out": 2}]}""",
        ["gru"] = """{"input": [5, 3], "layers": [{"type": "gru", "hidden": 4, "return_sequences": true}, {"type": "last_step"}]}""",
        ["gru_stacked_bidirectional"] = """{"input": [5, 3], "layers": [{"type": "gru", "hidden": 4, "layers": 3, "bidirectional": true}]}""",
        ["repeat_decoder"] = """{"input": [3], "layers": [{"type": "repeat", "times": 4}, {"type": "gru", "hidden": 2, "return_sequences": true}]}""",
        ["multihead_attention"] = """{"input": [5, 8], "layers": [{"type": "multihead_attention", "heads": 2}]}""",
        ["multihead_attention_causal"] = """{"input": [5, 8], "layers": [{"type": "multihead_attention", "heads": 4, "causal": true, "dropout": 0.2}]}""",
        ["transformer_encoder_layer"] = """{"input": [5, 8], "layers": [{"type": "transformer_encoder_layer", "heads": 2, "ff": 16}]}""",
        ["transformer_encoder_layer_norm_first_gelu_causal"] = """
            {"input": [5, 8], "layers": [{"type": "transformer_encoder_layer", "heads": 4, "ff": 12, "activation": "gelu", "norm_first": true, "causal": true}]}
            """,
        ["positional_encoding"] = """{"input": [5, 6], "layers": [{"type": "positional_encoding", "max_len": 9}]}""",
        ["positional_encoding_learned"] = """{"input": [5, 6], "layers": [{"type": "positional_encoding", "kind": "learned", "max_len": 7}]}""",
        ["token_transformer"] = """
            {"input": [6], "layers": [{"type": "embedding", "num": 11, "dim": 8}, {"type": "positional_encoding"},
             {"type": "transformer_encoder_layer", "heads": 2, "ff": 16, "causal": true}, {"type": "mean_pool"}, {"type": "linear", "out": 3}]}
            """,
    };

    private static string Activation(string layer) => $$"""{"input": [3, 7], "layers": [{{layer}}]}""";

    /// <summary>
    /// The model of a case with seeded weights, in evaluation mode, after a few training-mode passes so that batch
    /// norm's running statistics are not their defaults; and an input batch spread over [−8, 8], with 0 in it (or, for a
    /// model that starts with an embedding, whole-number ids of its table).
    /// </summary>
    internal static (ModelSpec Spec, Module Module, Dictionary<string, Tensor> Inputs) Model(string name)
    {
        var spec = ModelSpec.Parse(Cases[name]);
        var module = spec.Build(new Generator(7));
        var (inputs, _, _) = spec.Network();
        var rng = new Generator(11);
        Tensor Sample(int[] shape) => spec.Layers is [EmbeddingSpec embedding, ..]
            ? Tensor.From([.. Tensor.Uniform(shape, 0, embedding.Num, rng).ToArray().Select(MathF.Floor)], shape)
            : Tensor.Uniform(shape, -8, 8, rng);
        Dictionary<string, Tensor> Batch(int n) => inputs.ToDictionary(input => input.Name, input => Sample([n, .. input.Shape]));
        module.Train();
        for (int i = 0; i < 3; i++)
        {
            var warm = Batch(8);
            module.Call([.. inputs.Select(input => warm[input.Name])]);
        }
        module.Eval();
        var batch = Batch(5);
        batch[inputs[0].Name].Data[0] = 0;
        return (spec, module, batch);
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void Onnx_runtime_runs_the_export_with_neurites_outputs(string name)
    {
        var (spec, module, inputs) = Model(name);
        var expected = module.Call([.. spec.Network().Inputs.Select(input => inputs[input.Name])]);
        var model = OnnxFile.Export(module, spec);
        Assert.Equal(OnnxExporter.Opset, model.OpsetVersion());
        Assert.Equal(8, model.IrVersion);
        Assert.All(model.Graph.Nodes, node => Assert.Equal("", node.Domain));
        Assert.Equal("output", Assert.Single(model.Graph.Outputs).Name);
        Assert.Equal([OnnxFile.BatchAxis, .. spec.OutputShape().Select(size => size.ToString(System.Globalization.CultureInfo.InvariantCulture))],
            model.Graph.Outputs[0].Shape!.Select(dim => dim.ToString()));
        Assert.All(model.Graph.Inputs, input => Assert.Equal(new OnnxDim(null, OnnxFile.BatchAxis), input.Shape![0]));
        // A model that starts with an embedding takes int64 ids.
        Assert.All(model.Graph.Inputs, input => Assert.Equal(spec.Layers is [EmbeddingSpec, ..] ? OnnxDataType.Int64 : OnnxDataType.Float, input.ElementType));
        OnnxRuntimeReference.AssertClose(expected, OnnxRuntimeReference.Run(model.ToBytes(), inputs), name);
    }

    /// <summary>NaN, infinities, exact zero and the ends of the thresholds pass through each activation's export as through the module.</summary>
    [Theory]
    [InlineData("step")]
    [InlineData("relu")]
    [InlineData("softplus")]
    [InlineData("softplus_beta_threshold")]
    [InlineData("gelu")]
    [InlineData("gelu_tanh")]
    [InlineData("silu")]
    [InlineData("elu")]
    public void Activations_export_exactly_at_their_edges(string name)
    {
        var (spec, module, _) = Model(name);
        float[] edges = [0f, -0f, float.NaN, 1e-8f, -1e-8f, 2.5f, 2.5000002f, 20f, 20.000002f, 25f, 88f, 100f, -100f, -30f, 1e30f, -1e30f, 5f, -5f, 0.5f, -0.5f, 3f];
        var x = Tensor.From(edges, [1, 3, 7]);
        var expected = module.Call(x);
        var ort = OnnxRuntimeReference.Run(OnnxFile.Export(module, spec).ToBytes(), new Dictionary<string, Tensor> { ["input"] = x });
        OnnxRuntimeReference.AssertClose(expected, ort, name);
    }

    /// <summary>An imported graph (the onnx layer) at opset 17 is written again node for node, with the weights the module holds.</summary>
    [Fact]
    public void An_imported_graph_exports_again_and_an_older_opset_is_refused()
    {
        var fixture = Reference.Fixture.Load("torch_mlp_onnx.json");
        var x = Reference.Fixture.ReadTensor(fixture.GetProperty("input"));
        var loaded = OnnxFile.Load(OnnxProtobufTests.Reference("torch_mlp_opset17.onnx"));
        loaded.Module.Eval();
        var model = OnnxFile.Export(loaded.Module, loaded.Spec);
        Assert.Equal(20, model.Graph.Nodes.Count);
        Assert.Contains(model.Graph.Initializers, tensor => tensor.Name == "0.5.running_var");
        OnnxRuntimeReference.AssertClose(Reference.Fixture.ReadTensor(fixture.GetProperty("output")),
            OnnxRuntimeReference.Run(model.ToBytes(), new Dictionary<string, Tensor> { ["input"] = x }), "torch MLP exported again");

        var older = OnnxFile.Load(OnnxProtobufTests.Reference("torch_mlp_opset13.onnx"));
        var e = Assert.Throws<NotSupportedException>(() => OnnxFile.Export(older.Module, older.Spec));
        Assert.Equal("ONNX export: layers[0] (onnx): the imported graph is opset 13; export writes opset 17, and Neurite does not convert operators between opsets.", e.Message);
    }

    [Fact]
    public void Every_built_in_layer_type_has_an_export_case()
    {
        var builtIn = LayerRegistry.Names.Where(name => LayerRegistry.Find(name)!.Parse.Method.Module.Assembly == typeof(LayerSpec).Assembly).ToList();
        var covered = Cases.Values.SelectMany(json => System.Text.RegularExpressions.Regex.Matches(json, "\"type\": \"([a-z_0-9]+)\"").Select(m => m.Groups[1].Value)).ToHashSet();
        covered.Add("onnx"); // An_imported_graph_exports_again_and_an_older_opset_is_refused
        Assert.All(builtIn, name => Assert.Contains(name, covered));
    }

    [Fact]
    public void A_layer_type_without_an_onnx_form_is_refused_by_name_and_nothing_is_written()
    {
        var spec = new ModelSpec([3], [new LinearSpec(3), new ScaleSpec(2)]);
        var module = spec.Build();
        var e = Assert.Throws<NotSupportedException>(() => OnnxFile.Export(module, spec));
        Assert.Equal("ONNX export: layers[1] (scale): the layer type scale has no ONNX form.", e.Message);

        string directory = Directory.CreateTempSubdirectory("neurite-onnx-").FullName;
        try
        {
            string path = Path.Combine(directory, "model.onnx");
            File.WriteAllText(path, "the previous file");
            Assert.Throws<NotSupportedException>(() => OnnxFile.Save(path, module, spec));
            Assert.Equal("the previous file", File.ReadAllText(path));
            Assert.Equal(["model.onnx"], Directory.GetFiles(directory).Select(Path.GetFileName));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void An_adaptive_pool_with_windows_of_different_sizes_is_refused_by_name()
    {
        var spec = ModelSpec.Parse("""{"input": [2, 5, 6], "layers": [{"type": "conv2d", "out": 2, "kernel": 1}, {"type": "adaptive_avg_pool2d", "out": [2, 3]}]}""");
        var e = Assert.Throws<NotSupportedException>(() => OnnxFile.Export(spec.Build(), spec));
        Assert.Equal("ONNX export: layers[1] (adaptive_avg_pool2d): pooling [5, 6] to [2, 3] makes windows of different sizes, which no ONNX operator computes; an out that divides the input size exports as AveragePool.", e.Message);
    }

    [Fact]
    public void Weights_are_initializers_named_as_the_state_dict()
    {
        var (spec, module, _) = Model("residual");
        var model = OnnxFile.Export(module, spec);
        Assert.Equal(module.StateDict().Keys.Order(), model.Graph.Initializers.Where(t => !t.Name.StartsWith('/')).Select(t => t.Name).Order());
        Assert.Equal(module.StateDict()["0.block.0.weight"].ToArray(), model.Graph.Initializers.Single(t => t.Name == "0.block.0.weight").FloatData!);
        Assert.Equal(["Gemm", "Tanh", "Gemm", "Add", "Relu"], model.Graph.Nodes.Select(node => node.OpType));
        Assert.Equal("/0/block/0/Gemm", model.Graph.Nodes[0].Name);
    }
}
