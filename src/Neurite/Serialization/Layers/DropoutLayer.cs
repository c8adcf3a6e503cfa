using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary><c>dropout</c>: zeroes each element with probability p in training and scales the rest by 1/(1 − p). Field: p (0.5).</summary>
/// <remarks>The module draws its masks from the generator the model is built with (see <see cref="ModelSpec.Build"/>).</remarks>
public sealed record DropoutSpec(double P = 0.5) : LayerSpec
{
    internal static LayerType Definition { get; } =
        new("dropout", ["p"], f => new DropoutSpec(f.Number("p", 0.5, Check.Probability, Check.ProbabilityText)));

    public override string Type => "dropout";

    public override Module Build(LayerContext context, Generator rng) => new Dropout((float)P, rng);

    /// <summary>Identity: an exported graph is for inference, where dropout does nothing.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) => onnx.Node("Identity", inputs);

    public override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("p", P);
}
