using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>gaussian_noise</c>: adds N(0, std²) noise to every value in training, nothing in evaluation (Keras's GaussianNoise);
/// the first node of a denoising autoencoder. Field: std (required, ≥ 0).
/// </summary>
/// <remarks>The module draws its noise from the generator the model is built with, as dropout does.</remarks>
public sealed record GaussianNoiseSpec(double Std) : LayerSpec
{
    internal static LayerType Definition { get; } =
        new("gaussian_noise", ["std"], f => new GaussianNoiseSpec(f.RequiredNumber("std", Check.NonNegative, Check.NonNegativeText)));

    public override string Type => "gaussian_noise";

    public override Module Build(LayerContext context, Generator rng) => new GaussianNoise((float)Std, rng);

    /// <summary>Identity: the noise is added in training only, and an exported graph runs inference.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) => onnx.Node("Identity", inputs);

    public override void WriteFields(Utf8JsonWriter json) => json.WriteNumber("std", Std);
}
