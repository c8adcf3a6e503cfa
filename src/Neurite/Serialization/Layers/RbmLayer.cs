using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>rbm</c>: a restricted Boltzmann machine with Bernoulli visible and hidden units, trained by contrastive divergence
/// CD-k (<see cref="RestrictedBoltzmannMachine"/>). Fields: hidden (required), k (1, the Gibbs steps per update),
/// persistent (false; true: persistent CD, whose chains continue across updates). It takes
/// the vector of visible units [V] and outputs their mean-field reconstruction [V]; it is a whole model, the only entry of
/// <c>layers</c>, trained on its inputs: the loss (mse by default, or bce) is the reconstruction error, and the CD-k
/// update comes from the term the layer adds. Parameters: weight [hidden, V], visible_bias [V], hidden_bias [hidden].
/// </summary>
public sealed record RbmSpec(int Hidden, int K = 1, bool Persistent = false) : LayerSpec
{
    internal static LayerType Definition { get; } =
        new("rbm", ["hidden", "k", "persistent"], f => new RbmSpec(f.RequiredInt("hidden"), f.Int("k", 1), f.Bool("persistent", false)));

    public override string Type => "rbm";

    public override int[] OutputShape(LayerContext context)
    {
        if (context.Input.Length != 1)
        {
            throw context.Error($"rbm takes a vector of visible units [V] per sample, got {Shapes.Format(context.Input)}; give the input as [H·W]");
        }
        if ((long)context.Input[0] * Hidden > Array.MaxLength)
        {
            throw context.Error("hidden", $"an rbm of {context.Input[0]} visible and {Hidden} hidden units needs more weights than a tensor can hold ({Array.MaxLength})");
        }
        return context.Input;
    }

    /// <summary>V·H for p(h | v) and H·V for the reconstruction.</summary>
    public override long MultiplyAccumulates(LayerContext context) => 2L * context.Input[0] * Hidden;

    /// <summary>V·H + V + H.</summary>
    internal override long MinimumParameters(LayerContext context) => ((long)context.Input[0] + 1) * Hidden + context.Input[0];

    public override Module Build(LayerContext context, Generator rng) => new RestrictedBoltzmannMachine(context.Input[0], Hidden, K, rng, Persistent);

    /// <summary>
    /// The evaluation forward pass, the reconstruction σ(σ(v·Wᵀ + c)·W + b): Gemm (transB) and Sigmoid give p(h | v), then
    /// Gemm and Sigmoid p(v | h). Sampling is not exported: the graph is deterministic.
    /// </summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        string weight = onnx.Weight("weight");
        string hidden = onnx.Node("Sigmoid", [onnx.Node("Gemm", [inputs[0], weight, onnx.Weight("hidden_bias")], OnnxAttribute.Of("transB", 1L))]);
        return onnx.Node("Sigmoid", [onnx.Node("Gemm", [hidden, weight, onnx.Weight("visible_bias")])]);
    }

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("hidden", Hidden);
        json.WriteNumber("k", K);
        json.WriteBoolean("persistent", Persistent);
    }
}
