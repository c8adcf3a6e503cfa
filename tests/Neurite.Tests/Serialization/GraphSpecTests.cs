using Neurite.Autograd;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Tests.Serialization;

public sealed class GraphSpecTests
{
    /// <summary>The head sees the input beside a hidden layer: 2 + 16 = 18 features.</summary>
    private const string Concat = """
        {"input": [2], "nodes": [
          {"name": "h", "type": "linear", "out": 16},
          {"name": "a", "type": "relu"},
          {"name": "cat", "type": "concat", "inputs": ["input", "a"]},
          {"name": "out", "type": "linear", "out": 2}
        ], "output": "out", "loss": "cross_entropy"}
        """;

    [Fact]
    public void A_graph_parses_with_shapes_and_builds_a_module_named_by_its_nodes()
    {
        var spec = ModelSpec.Parse(Concat);
        Assert.Empty(spec.Layers);
        Assert.Equal([2], spec.Input);
        Assert.Equal(
            new GraphSpec([2], [
                new NodeSpec("h", new LinearSpec(16)), new NodeSpec("a", new SimpleLayerSpec("relu")),
                new NodeSpec("cat", new ConcatSpec(), ["input", "a"]), new NodeSpec("out", new LinearSpec(2))], "out"),
            spec.Graph);
        Assert.Equal([[16], [16], [18], [2]], spec.OutputShapes());
        Assert.Equal([2], spec.OutputShape());

        var model = Assert.IsType<GraphModule>(spec.Build());
        Assert.Equal(["h.weight", "h.bias", "out.weight", "out.bias"], model.StateDict().Keys);
        Assert.Equal([2, 18], ((Linear)model.Nodes[3].Module).Weight.Shape.ToArray());

        // The graph computes out(cat(x, relu(h(x)))) with the same modules.
        var x = Tensor.Uniform([5, 2], -1, 1, new Generator(2));
        var h = (Linear)model.Nodes[0].Module;
        var expected = model.Nodes[3].Module.Call(Ops.Concat([x, Ops.Relu(h.Call(x))], 1));
        Assert.Equal(expected.ToArray(), model.Call(x).ToArray());
        Assert.Equal(expected.ToArray(), model.Call([x]).ToArray());
    }

    [Fact]
    public void A_graph_summary_lists_nodes_with_inputs_shapes_and_the_modules_parameter_counts()
    {
        var spec = ModelSpec.Parse(Concat);
        var summary = spec.Summarize();
        // h: 2·16 + 16 = 48; out: 18·2 + 2 = 38.
        Assert.Equal(
            [("h", "input", "-1,16", 48L), ("a", "h", "-1,16", 0L), ("cat", "input,a", "-1,18", 0L), ("out", "cat", "-1,2", 38L)],
            summary.Layers.Select(l => (l.Name, string.Join(",", l.Inputs!), string.Join(",", l.OutputShape), l.Params)));
        Assert.Equal(86, summary.TotalParams);
        Assert.Equal(spec.Build().ParameterCount, summary.TotalParams);
        Assert.Equal("concat(axis=-1)", summary.Layers[2].Description);
        // MACs: h 2·16 = 32, out 18·2 = 36; the concatenation multiplies nothing.
        Assert.Equal([32L, 0, 0, 36], summary.Layers.Select(l => l.MultiplyAccumulates));
        Assert.Contains("""{"name":"cat","type":"concat","inputs":["input","a"],"output_shape":[null,18],"params":0,"macs":0}""", summary.ToJson());
    }

    [Fact]
    public void Graphs_write_back_to_json_that_parses_to_the_same_spec()
    {
        foreach (string json in new[]
        {
            Concat,
            // Two named inputs, an encoder–decoder with a skip connection added back, a default output (the last node).
            """
            {"inputs": {"x": [4], "y": [3]}, "nodes": [
              {"name": "ex", "type": "linear", "out": 8, "inputs": ["x"]},
              {"name": "ey", "type": "linear", "out": 8, "bias": false, "inputs": ["y"]},
              {"name": "code", "type": "add", "inputs": ["ex", "ey"]},
              {"name": "act", "type": "tanh"},
              {"name": "dec", "type": "linear", "out": 4},
              {"name": "skip", "type": "add", "inputs": ["dec", "x"]},
              {"name": "res", "type": "residual", "layers": [{"type": "linear", "out": 4}, {"type": "layer_norm"}]}
            ], "seed": 3}
            """,
        })
        {
            var spec = ModelSpec.Parse(json);
            string written = spec.ToJson();
            Assert.Equal(spec, ModelSpec.Parse(written));
            Assert.Equal(written, ModelSpec.Parse(written).ToJson());
        }
        Assert.NotEqual(ModelSpec.Parse(Concat), ModelSpec.Parse(Concat.Replace("\"output\": \"out\"", "\"output\": \"cat\"")));
        Assert.Contains("\"output\": \"res\"", ModelSpec.Parse("""{"input": [2], "nodes": [{"name": "a", "type": "relu"}, {"name": "res", "type": "relu"}]}""").ToJson());
    }

    [Fact]
    public void The_readme_graph_is_the_example_specs_graph()
    {
        string readme = File.ReadAllText(Path.Combine(ReadmeTests.RepositoryRoot(), "README.md")).Replace("\r\n", "\n");
        int section = readme.IndexOf("### Graphs", StringComparison.Ordinal);
        int start = readme.IndexOf("```json\n", section, StringComparison.Ordinal) + 8;
        var shown = ModelSpec.Parse(readme[start..readme.IndexOf("```", start, StringComparison.Ordinal)]);
        var example = ModelSpec.Load(Path.Combine(AppContext.BaseDirectory, "examples", "concat-graph.json"));
        Assert.Equal(example.Graph, shown.Graph);
    }

    [Fact]
    public void A_graph_with_two_inputs_takes_them_in_order()
    {
        var spec = ModelSpec.Parse("""
            {"inputs": {"x": [2], "y": [3]}, "nodes": [
              {"name": "cat", "type": "concat", "inputs": ["y", "x"]},
              {"name": "out", "type": "linear", "out": 1}]}
            """);
        Assert.Equal([2], spec.Input);
        Assert.Equal(["x", "y"], spec.Graph!.Inputs.Select(input => input.Name));
        var model = (GraphModule)spec.Build();
        var x = Tensor.From([[1f, 2f]]);
        var y = Tensor.From([[3f, 4f, 5f]]);
        var linear = (Linear)model.Nodes[1].Module;
        // out = [y, x]·Wᵀ + b.
        float expected = linear.Bias![0];
        float[] joined = [3f, 4f, 5f, 1f, 2f];
        for (int i = 0; i < 5; i++)
        {
            expected += joined[i] * linear.Weight[0, i];
        }
        Assert.Equal(expected, model.Call([x, y]).Item(), 5);
        var e = Assert.Throws<ArgumentException>(() => model.Call(x));
        Assert.Equal("GraphModule: takes 2 input(s) (x, y), got 1. (Parameter 'inputs')", e.Message);
    }

    [Fact]
    public void Concat_takes_any_sample_axis_and_add_sums_same_shaped_inputs()
    {
        var spec = ModelSpec.Parse("""
            {"input": [2, 3], "nodes": [
              {"name": "wide", "type": "linear", "out": 5},
              {"name": "rows", "type": "concat", "axis": 1, "inputs": ["input", "input"]},
              {"name": "cols", "type": "concat", "axis": -1, "inputs": ["input", "wide"]},
              {"name": "twice", "type": "add", "inputs": ["input", "input", "input"]}
            ]}
            """);
        Assert.Equal([[2, 5], [4, 3], [2, 8], [2, 3]], spec.OutputShapes());
        var x = Tensor.Uniform([1, 2, 3], -1, 1, new Generator(4));
        Assert.Equal(Ops.Mul(x, 3f).ToArray(), spec.Build().Call(x).ToArray());
    }

    public static TheoryData<string, string> Errors => new()
    {
        { """{"input": [2], "nodes": [{"name": "h", "type": "linear", "out": 4, "inputs": ["x"]}]}""", "nodes[0].inputs[0]: unknown input \"x\"; known here: input" },
        { """{"input": [2], "nodes": [{"name": "h", "type": "relu"}, {"name": "h", "type": "relu"}]}""", "nodes[1].name: \"h\" is already the name of nodes[0]" },
        { """{"input": [2], "nodes": [{"name": "input", "type": "relu"}]}""", "nodes[0].name: \"input\" is already the name of a model input" },
        { """{"input": [2], "nodes": [{"name": "a.b", "type": "relu"}]}""", "nodes[0].name: \"a.b\" is not a node name: a node name is non-empty and has no dots" },
        { """{"input": [2], "nodes": [{"name": "a", "type": "relu", "inputs": ["b"]}, {"name": "b", "type": "relu", "inputs": ["a"]}]}""", "nodes[0].inputs[0]: \"b\" is nodes[1]; a node takes model inputs and earlier nodes only, so that the graph has no cycles" },
        { """{"input": [2], "nodes": [{"name": "a", "type": "relu", "inputs": ["a"]}]}""", "nodes[0].inputs[0]: \"a\" is this node; a node takes model inputs and earlier nodes only" },
        { """{"input": [2], "nodes": [{"type": "relu"}]}""", "nodes[0].name: missing; expected the node's name, e.g. \"h\"" },
        { """{"input": [2], "nodes": [{"name": 3, "type": "relu"}]}""", "nodes[0].name: expected the node's name, a non-empty string, got 3" },
        { """{"input": [2], "nodes": [{"name": "a", "type": "relu", "inputs": []}]}""", "nodes[0].inputs: expected a non-empty list of input and node names, got []" },
        { """{"input": [2], "nodes": [{"name": "a", "type": "relu", "inputs": "input"}]}""", "nodes[0].inputs: expected a non-empty list of input and node names, got \"input\"" },
        { """{"input": [2], "nodes": [{"name": "a", "type": "relu", "input": ["input"]}]}""", "nodes[0].input: unknown field; relu takes name, inputs, type" },
        { """{"input": [2], "nodes": [{"name": "a", "type": "concat"}]}""", "nodes[0].inputs: concat takes 2 or more inputs, got 1" },
        { """{"input": [2], "nodes": [{"name": "a", "type": "relu", "inputs": ["input", "input"]}]}""", "nodes[0].inputs: relu takes one input, got 2" },
        { """{"input": [2], "nodes": [{"name": "h", "type": "linear", "out": 3}, {"name": "s", "type": "add", "inputs": ["h", "input"]}]}""", "nodes[1].inputs: add needs inputs of the same shape, got [3] (h), [2] (input)" },
        { """{"input": [2, 3], "nodes": [{"name": "h", "type": "linear", "out": 4}, {"name": "c", "type": "concat", "axis": 1, "inputs": ["h", "input"]}]}""", "nodes[1].inputs: concat along axis 1 needs the same sizes on the other axes, got [2, 4] (h), [2, 3] (input)" },
        { """{"input": [2, 3], "nodes": [{"name": "f", "type": "flatten"}, {"name": "c", "type": "concat", "inputs": ["f", "input"]}]}""", "nodes[1].inputs: concat needs inputs of the same rank, got [6] (f), [2, 3] (input)" },
        { """{"input": [2], "nodes": [{"name": "c", "type": "concat", "axis": 0, "inputs": ["input", "input"]}]}""", "nodes[0].axis: axis 0 is not an axis of a sample: with the batch axis the inputs are 2-D, so axis must be in 1..1 or -1..-1" },
        { """{"input": [2], "nodes": [{"name": "h", "type": "linear", "out": 0}]}""", "nodes[0].out: expected a positive integer or \"vocab\", got 0" },
        { """{"input": [2], "layers": [{"type": "relu"}, {"type": "concat"}]}""", "layers[1]: concat takes 2 or more inputs, got 1" },
        { """{"input": [2], "layers": [{"type": "residual", "layers": [{"type": "add"}]}]}""", "layers[0].layers[0]: add takes 2 or more inputs, got 1" },
        { """{"input": [2], "layers": [{"name": "h", "type": "relu"}]}""", "layers[0].name: unknown field; relu takes type" },
        { """{"input": [2], "nodes": [{"name": "h", "type": "relu"}], "output": "z"}""", "output: unknown node \"z\"; known: h" },
        { """{"input": [2], "nodes": []}""", "nodes: expected a non-empty list of nodes, got []" },
        { """{"input": [2], "layers": [{"type": "relu"}], "nodes": [{"name": "h", "type": "relu"}]}""", "nodes: a spec has either layers (a chain) or nodes (a graph), not both" },
        { """{"input": [2], "layers": [{"type": "relu"}], "output": "0"}""", "output: named inputs and an output node belong to a graph: give \"nodes\" instead of \"layers\"" },
        { """{"input": [2], "inputs": {"x": [2]}, "nodes": [{"name": "h", "type": "relu"}]}""", "inputs: a spec has either one input or named inputs, not both" },
        { """{"inputs": {"x": [2], "y": [3]}, "nodes": [{"name": "h", "type": "relu"}]}""", "nodes[0].inputs: missing; the model has several inputs (x, y), so the first node names the ones it takes" },
        { """{"inputs": {"x": [2], "y": [0]}, "nodes": [{"name": "h", "type": "relu", "inputs": ["x"]}]}""", "inputs.y[0]: expected a positive integer, got 0" },
        { """{"inputs": [2], "nodes": [{"name": "h", "type": "relu"}]}""", "inputs: expected named input shapes such as {\"x\": [2], \"y\": [3]}, got [2]" },
        { """{"nodes": [{"name": "h", "type": "relu"}]}""", "input: missing; expected the shape of one sample, e.g. [784]" },
        { """{"input": [2, 2, 2], "nodes": [{"name": "o", "type": "linear", "out": 2}, {"name": "f", "type": "flatten"}], "output": "o", "loss": "cross_entropy"}""", "loss: cross_entropy needs class scores [C] per sample, or [T, C] for one class per step, but the network outputs [2, 2, 2]" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Each_graph_error_names_the_json_path(string json, string message)
    {
        var e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse(json));
        Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"got \"{e.Message}\"");
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(e.Message, (e.JsonPath.Length == 0 ? "" : e.JsonPath + ": ") + e.Detail);
    }

    [Fact]
    public void Unused_nodes_are_allowed_and_the_output_need_not_be_the_last_node()
    {
        var spec = ModelSpec.Parse("""
            {"input": [2], "nodes": [{"name": "f", "type": "flatten"}, {"name": "c", "type": "concat", "inputs": ["input", "f"]},
             {"name": "unused", "type": "linear", "out": 2, "inputs": ["input"]}], "output": "c", "loss": "cross_entropy"}
            """);
        Assert.Equal([4], spec.OutputShape());
        var x = Tensor.From([[1f, 2f]]);
        Assert.Equal([1f, 2f, 1f, 2f], spec.Build().Call(x).ToArray());
        var model = (GraphModule)spec.Build();
        Assert.Equal(["unused.weight", "unused.bias"], model.StateDict().Keys);
        // The unused node does not run: a hook on it never fires.
        bool ran = false;
        model.Nodes[2].Module.RegisterForwardHook((_, _, _) => ran = true);
        model.Call(x);
        Assert.False(ran);
    }

    [Fact]
    public void A_graph_built_in_code_is_checked_when_first_used()
    {
        var spec = new ModelSpec(new GraphSpec([3], [new NodeSpec("h", new LinearSpec(2)), new NodeSpec("s", new AddSpec(), ["h", "input"])], "s"));
        var e = Assert.Throws<ModelSpecException>(() => spec.Build());
        Assert.Equal("nodes[1].inputs: add needs inputs of the same shape, got [2] (h), [3] (input)", e.Message);
        Assert.Throws<ArgumentException>(() => new ModelSpec(new GraphSpec(Array.Empty<GraphInput>(), [new NodeSpec("h", new LinearSpec(2))], "h")));
    }

    [Fact]
    public void The_registry_refuses_reserved_fields_taken_names_and_bad_names()
    {
        Assert.Throws<ArgumentException>(() => LayerRegistry.Register(new LayerType("linear", [], _ => new LinearSpec(1))));
        Assert.Throws<ArgumentException>(() => LayerRegistry.Register(new LayerType("mine", ["inputs"], _ => new LinearSpec(1))));
        Assert.Throws<ArgumentException>(() => LayerRegistry.Register(new LayerType("Mine", [], _ => new LinearSpec(1))));
        Assert.Equal(
            ["linear", "relu", "sigmoid", "tanh", "step", "leaky_relu", "elu", "gelu", "silu", "softplus", "softmax", "log_softmax",
             "identity", "flatten", "dropout", "batch_norm", "layer_norm", "residual", "concat", "add"],
            LayerSpec.Types.Take(20));
        Assert.Equal(LayerSpec.Types, LayerRegistry.Names);
        Assert.NotNull(LayerRegistry.Find("concat"));
        Assert.Null(LayerRegistry.Find("conv3d"));
    }

    [Fact]
    public void A_layer_type_with_its_defaults_is_what_a_spec_of_only_its_type_reads()
    {
        Assert.Equal(new GeluSpec(), LayerRegistry.Default("gelu"));
        Assert.Equal(new LeakyReluSpec(0.01), LayerRegistry.Default("leaky_relu"));
        Assert.Equal(new SimpleLayerSpec("tanh"), LayerRegistry.Default("tanh"));
        Assert.Equal(new DropoutSpec(0.5), LayerRegistry.Default("dropout"));
        Assert.Equal("layer.out: missing; expected a positive integer or \"vocab\"",
            Assert.Throws<ModelSpecException>(() => LayerRegistry.Default("linear")).Message);
        Assert.StartsWith("layer.type: unknown layer type \"conv9d\"",
            Assert.Throws<ModelSpecException>(() => LayerRegistry.Default("conv9d")).Message);
    }
}
