using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary><c>gelu</c>: x·Φ(x). Field: approximate, "none" (erf, the default) or "tanh".</summary>
public sealed record GeluSpec(string Approximate = "none") : LayerSpec
{
    internal static LayerType Definition { get; } =
        new("gelu", ["approximate"], f => new GeluSpec(f.Choice("approximate", "none", "approximation", ["none", "tanh"])));

    public override string Type => "gelu";

    public override Module Build(LayerContext context, Generator rng) => new GELU(Approximate == "tanh");

    public override void WriteFields(Utf8JsonWriter json) => json.WriteString("approximate", Approximate);
}
