using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary><c>layer_norm</c> over the last axis of each sample. Fields: eps (1e-5), elementwise_affine (true).</summary>
public sealed record LayerNormSpec(double Eps = 1e-5, bool ElementwiseAffine = true) : LayerSpec
{
    internal static LayerType Definition { get; } = new("layer_norm", ["eps", "elementwise_affine"], f => new LayerNormSpec(
        f.Number("eps", 1e-5, Check.Positive, Check.PositiveText), f.Bool("elementwise_affine", true)));

    public override string Type => "layer_norm";

    /// <summary>Two per value: the variance's Σ(x − μ)² and the normalization (x − μ)·(γ/σ) + β.</summary>
    public override long MultiplyAccumulates(LayerContext context) => 2 * Shapes.CountOf(context.Input, Type);

    public override Module Build(LayerContext context, Generator rng) => new LayerNorm(context.Input[^1], (float)Eps, ElementwiseAffine);

    /// <summary>LayerNormalization over the last axis; without elementwise_affine, a scale of ones and no bias.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        int size = context.Input[^1];
        string[] operands = ElementwiseAffine
            ? [inputs[0], onnx.Weight("weight"), onnx.Weight("bias")]
            : [inputs[0], onnx.Constant([.. Enumerable.Repeat(1f, size)], [size])];
        return onnx.Node("LayerNormalization", operands, OnnxAttribute.Of("axis", -1L), OnnxAttribute.Of("epsilon", (float)Eps));
    }

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("eps", Eps);
        json.WriteBoolean("elementwise_affine", ElementwiseAffine);
    }
}
