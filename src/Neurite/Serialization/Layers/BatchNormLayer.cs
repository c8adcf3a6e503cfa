using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>batch_norm</c> per channel C: a BatchNorm1d over features [C] or [C, L], a BatchNorm2d over images [C, H, W].
/// Fields: eps (1e-5), momentum (0.1), affine (true).
/// </summary>
public sealed record BatchNormSpec(double Eps = 1e-5, double Momentum = 0.1, bool Affine = true) : LayerSpec
{
    internal static LayerType Definition { get; } = new("batch_norm", ["eps", "momentum", "affine"], f => new BatchNormSpec(
        f.Number("eps", 1e-5, Check.Positive, Check.PositiveText), f.Number("momentum", 0.1, Check.UnitClosed, Check.UnitClosedText), f.Bool("affine", true)));

    public override string Type => "batch_norm";

    public override int[] OutputShape(LayerContext context) =>
        context.Input.Length is 1 or 2 or 3
            ? context.Input
            : throw context.Error($"batch_norm needs features [C], [C, L] or images [C, H, W] per sample, but its input is {Shapes.Format(context.Input)}");

    /// <summary>One per value: in evaluation y = x·a + b, with a = γ/√(σ² + ε) and b = β − μ·a folded per channel.</summary>
    public override long MultiplyAccumulates(LayerContext context) => Shapes.CountOf(context.Input, Type);

    public override Module Build(LayerContext context, Generator rng) => context.Input.Length == 3
        ? new BatchNorm2d(context.Input[0], (float)Eps, (float)Momentum, Affine)
        : new BatchNorm1d(context.Input[0], (float)Eps, (float)Momentum, Affine);

    /// <summary>
    /// BatchNormalization on the running statistics; ONNX's momentum is the weight of the running value
    /// (1 − PyTorch's). Without affine, a scale of ones and a bias of zeros.
    /// </summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        int channels = context.Input[0];
        string scale = Affine ? onnx.Weight("weight") : onnx.Constant([.. Enumerable.Repeat(1f, channels)], [channels]);
        string bias = Affine ? onnx.Weight("bias") : onnx.Constant(new float[channels], [channels]);
        return onnx.Node("BatchNormalization", [inputs[0], scale, bias, onnx.Weight("running_mean"), onnx.Weight("running_var")],
            OnnxAttribute.Of("epsilon", (float)Eps), OnnxAttribute.Of("momentum", 1 - (float)Momentum));
    }

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("eps", Eps);
        json.WriteNumber("momentum", Momentum);
        json.WriteBoolean("affine", Affine);
    }
}
