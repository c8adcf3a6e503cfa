using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>residual</c>: x + f(x), f the layers given (a Sequential registered as "block", so its weights
/// are named <c>N.block.0.weight</c>, …). The layers must map a sample's shape onto itself.
/// </summary>
public sealed record ResidualSpec(IReadOnlyList<LayerSpec> Layers) : LayerSpec
{
    internal static LayerType Definition { get; } = new("residual", ["layers"], f => new ResidualSpec(f.Layers("layers")));

    public override string Type => "residual";

    public override int[] OutputShape(LayerContext context)
    {
        var output = context.Block("layers", Layers)[^1].Output;
        if (!output.SequenceEqual(context.Input))
        {
            throw context.Error("layers", $"the block maps {Shapes.Format(context.Input)} to {Shapes.Format(output)}; x + f(x) needs the same shape");
        }
        return context.Input;
    }

    /// <summary>The block's layers' (the sum x + f(x) multiplies nothing).</summary>
    public override long MultiplyAccumulates(LayerContext context) =>
        context.Block("layers", Layers).Select((inner, i) => Layers[i].MultiplyAccumulates(inner.Context)).Sum();

    public override Module Build(LayerContext context, Generator rng)
    {
        var chain = context.Block("layers", Layers);
        return new Residual(new Sequential([.. Layers.Select((layer, i) => layer.Build(chain[i].Context, rng))]));
    }

    /// <summary>The block's layers one after another (their weights under <c>N.block.i.</c>), then Add.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        var chain = context.Block("layers", Layers);
        string x = inputs[0];
        for (int i = 0; i < Layers.Count; i++)
        {
            x = onnx.Layer(Layers[i], chain[i].Context, $"block.{i}", [x]);
        }
        return onnx.Node("Add", [inputs[0], x]);
    }

    public override void WriteFields(Utf8JsonWriter json) => WriteList(json, "layers", Layers);

    /// <summary>residual[linear(out=16, bias=true), tanh]: the block's layers.</summary>
    public override string Describe() => $"residual[{string.Join(", ", Layers.Select(layer => layer.Describe()))}]";

    public bool Equals(ResidualSpec? other) => other is not null && Layers.SequenceEqual(other.Layers);

    public override int GetHashCode() => Layers.Count;
}
