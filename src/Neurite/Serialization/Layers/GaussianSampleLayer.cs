using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>gaussian_sample</c>: a variational autoencoder's sampling node. Its two inputs are the mean μ and the log-variance
/// log σ² (the same shape); it outputs z = μ + σ ⊙ ε with ε ~ N(0, I) in training (μ in evaluation) and adds the KL
/// divergence from N(0, I) to the loss (<see cref="GaussianSample"/>). No fields.
/// </summary>
/// <remarks>ε comes from the generator the model is built with, as dropout's masks do.</remarks>
public sealed record GaussianSampleSpec : LayerSpec
{
    internal static LayerType Definition { get; } = new("gaussian_sample", [], _ => new GaussianSampleSpec());

    public override string Type => "gaussian_sample";

    public override int MinInputs => 2;

    public override int MaxInputs => 2;

    public override int[] OutputShape(LayerContext context) =>
        context.Inputs[1].SequenceEqual(context.Input)
            ? context.Input
            : throw context.InputsError($"gaussian_sample takes the mean and the log-variance, of one shape; got {context.DescribeInputs()}");

    public override Module Build(LayerContext context, Generator rng) => new GaussianSample(rng);

    /// <summary>μ (the first input), as the node gives in evaluation: the code <c>neurite encode</c> writes.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs) => onnx.Node("Identity", [inputs[0]]);
}
