using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary><c>softplus</c>: (1/β)·ln(1 + e^(βx)). Fields: beta (1), threshold (20).</summary>
public sealed record SoftplusSpec(double Beta = 1, double Threshold = 20) : LayerSpec
{
    internal static LayerType Definition { get; } = new("softplus", ["beta", "threshold"], f => new SoftplusSpec(
        f.Number("beta", 1, Check.Positive, Check.PositiveText), f.Number("threshold", 20, Check.Positive, Check.PositiveText)));

    public override string Type => "softplus";

    public override Module Build(LayerContext context, Generator rng) => new Softplus((float)Beta, (float)Threshold);

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("beta", Beta);
        json.WriteNumber("threshold", Threshold);
    }
}
