using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>dropout2d</c>: zeroes whole channels of [C, H, W] (or [C, L]) samples with probability p in
/// training and scales the rest by 1/(1 − p), as torch.nn.Dropout2d. Field: p (0.5).
/// </summary>
/// <remarks>The module draws its masks from the generator the model is built with (see <see cref="ModelSpec.Build"/>).</remarks>
public sealed record Dropout2dSpec(double P = 0.5) : LayerSpec
{
    internal static LayerType Definition { get; } =
        new("dropout2d", ["p"], f => new Dropout2dSpec(f.Number("p", 0.5, Check.Probability, Check.ProbabilityText)));

    public override string Type => "dropout2d";

    public override int[] OutputShape(LayerContext context) =>
        context.Input.Length is 2 or 3
            ? context.Input
            : throw context.Error($"dropout2d needs channels [C, H, W] or [C, L] per sample, but its input is {Shapes.Format(context.Input)}");

    public override Module Build(LayerContext context, Generator rng) => new Dropout2d((float)P, rng);

    /// <summary>Identity: the graph computes the model in evaluation mode.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) => onnx.Node("Identity", inputs);

    public override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("p", P);
}
