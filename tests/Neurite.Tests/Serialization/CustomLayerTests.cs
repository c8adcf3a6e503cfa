using System.Text.Json;
using Neurite.Autograd;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Tests.Serialization;

/// <summary>y = x ⊙ w over the last axis, w learnable and starting at <c>factor</c> everywhere.</summary>
internal sealed class ScaleModule : Module
{
    public ScaleModule(int features, float factor) => Weight = Register("weight", Tensor.Full([features], factor));

    public Parameter Weight { get; }

    public override Tensor Forward(Tensor x) => Ops.Mul(x, Weight);
}

/// <summary>A layer type defined outside the library: <c>scale</c>, field factor (1, non-zero).</summary>
internal sealed record ScaleSpec(double Factor = 1) : LayerSpec
{
    public static LayerType Definition { get; } =
        new("scale", ["factor"], f => new ScaleSpec(f.Number("factor", 1, v => v != 0, "a non-zero number")));

    public override string Type => "scale";

    public override Module Build(LayerContext context, Generator rng) => new ScaleModule(context.Input[^1], (float)Factor);

    public override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("factor", Factor);
}

/// <summary>A new layer type takes this one file: define it, register it, and every part of the spec machinery knows it.</summary>
public sealed class CustomLayerTests
{
    static CustomLayerTests() => LayerRegistry.Register(ScaleSpec.Definition);

    private const string Json = """
        {"input": [3], "layers": [{"type": "scale", "factor": 2}, {"type": "linear", "out": 1}],
         "loss": "mse", "optimizer": {"type": "sgd", "lr": 0.1}}
        """;

    [Fact]
    public void A_registered_layer_parses_summarizes_builds_round_trips_and_trains()
    {
        var spec = ModelSpec.Parse(Json);
        Assert.Equal(new ScaleSpec(2), spec.Layers[0]);
        Assert.Contains("scale", LayerSpec.Types);
        Assert.Equal(spec, ModelSpec.Parse(spec.ToJson()));

        // scale keeps the shape and has one weight per feature: 3; linear 3·1 + 1 = 4.
        var summary = spec.Summarize();
        Assert.Equal([("0", "scale(factor=2)", "-1,3", 3L), ("1", "linear(out=1, bias=true)", "-1,1", 4L)],
            summary.Layers.Select(l => (l.Name, l.Description, string.Join(",", l.OutputShape), l.Params)));

        var model = (Sequential)spec.Build();
        Assert.Equal(["0.weight", "1.weight", "1.bias"], model.StateDict().Keys);
        // The scale layer alone: [1, −2, 0.5] ⊙ [2, 2, 2] = [2, −4, 1].
        Assert.Equal([2f, -4f, 1f], model[0].Call(Tensor.From([[1f, -2f, 0.5f]])).ToArray());

        // A few SGD steps on y = x₀ + x₁ − x₂ lower the loss, and the scale weights move.
        var x = Tensor.Uniform([16, 3], -1, 1, new Generator(5));
        var y = Tensor.From([.. Enumerable.Range(0, 16).Select(i => x[i, 0] + x[i, 1] - x[i, 2])], [16, 1]);
        var optimizer = spec.Optimizer!.Build(model.Parameters());
        var loss = spec.Loss!.Objective();
        float first = 0, last = 0;
        for (int step = 0; step < 20; step++)
        {
            optimizer.ZeroGrad();
            var value = loss.Loss(model.Call(x), y);
            value.Backward();
            optimizer.Step();
            (first, last) = (step == 0 ? value.Item() : first, value.Item());
        }
        Assert.True(last < first / 2, $"loss {first} → {last}");
        Assert.NotEqual([2f, 2f, 2f], ((ScaleModule)model[0]).Weight.ToArray());
        Assert.IsType<SGD>(optimizer);
    }

    [Fact]
    public void A_registered_layer_is_a_graph_node_too_and_its_errors_name_the_path()
    {
        var spec = ModelSpec.Parse("""
            {"input": [2], "nodes": [{"name": "s", "type": "scale", "factor": -1}, {"name": "sum", "type": "add", "inputs": ["input", "s"]}]}
            """);
        // x + (−1)·x = 0.
        Assert.Equal([0f, 0f], spec.Build().Call(Tensor.From([[3f, -4f]])).ToArray());
        Assert.Equal(["s.weight"], spec.Build().StateDict().Keys);

        var e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse("""{"input": [2], "layers": [{"type": "scale", "factor": 0}]}"""));
        Assert.Equal("layers[0].factor: expected a non-zero number, got 0", e.Message);
        e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse("""{"input": [2], "layers": [{"type": "scale", "gain": 2}]}"""));
        Assert.Equal("layers[0].gain: unknown field; scale takes type, factor", e.Message);
        e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse("""{"input": [2], "layers": [{"type": "scal"}]}"""));
        // A registered type is listed after every built-in one.
        Assert.Contains(", concat, add, ", e.Message);
        Assert.EndsWith(", onnx, scale", e.Message);
        Assert.Throws<ArgumentException>(() => LayerRegistry.Register(ScaleSpec.Definition));
    }
}
