using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>adaptive_avg_pool2d</c>, as torch.nn.AdaptiveAvgPool2d, on images [C, H, W]: field out (required, an integer or
/// [h, w]), the output size; bin i spans rows ⌊i·H/out⌋ to ⌈(i + 1)·H/out⌉.
/// </summary>
public sealed record AdaptiveAvgPool2dSpec((int H, int W) Out) : LayerSpec
{
    internal static LayerType Definition { get; } =
        new("adaptive_avg_pool2d", ["out"], f => new AdaptiveAvgPool2dSpec(f.RequiredPair("out")));

    public override string Type => "adaptive_avg_pool2d";

    public override int[] OutputShape(LayerContext context) =>
        context.Input.Length == 3
            ? [context.Input[0], Out.H, Out.W]
            : throw context.Error($"adaptive_avg_pool2d needs images [C, H, W] per sample, but its input is {Shapes.Format(context.Input)}");

    public override Module Build(LayerContext context, Generator rng) => new AdaptiveAvgPool2d(Out.H, Out.W);

    public override void WriteFields(Utf8JsonWriter json) => ConvPadding.WritePair(json, "out", Out);
}
