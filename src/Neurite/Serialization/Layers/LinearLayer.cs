using System.Text.Json;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>
/// <c>linear</c>: y = x·Wᵀ + b over the last axis. Fields: out (required; "vocab" for the data source's vocabulary size),
/// bias (true), init (PyTorch's default).
/// </summary>
public sealed record LinearSpec(int Out, bool Bias = true, InitSpec? Init = null) : LayerSpec
{
    internal static LayerType Definition { get; } = new("linear", ["out", "bias", "init"], f => new LinearSpec(
        f.RequiredCount("out"), f.Bool("bias", true), InitSpec.ParseField(f)));

    public override string Type => "linear";

    public override int[] OutputShape(LayerContext context)
    {
        var input = context.Input;
        if (Out < 1)
        {
            throw context.Error("out", $"expected a positive integer, got {Out}");
        }
        long weights = (long)input[^1] * Out;
        if (weights > Array.MaxLength)
        {
            throw context.Error("out", $"a linear layer from {input[^1]} to {Out} features needs {weights} weights, more than a tensor can hold ({Array.MaxLength})");
        }
        return [.. input[..^1], Out];
    }

    /// <summary>in·out per position (every output feature is a dot product over the in input features), so the input's count · out.</summary>
    public override long MultiplyAccumulates(LayerContext context) => Shapes.CountOf(context.Input, Type) * Out;

    /// <summary>in × out + out.</summary>
    internal override long MinimumParameters(LayerContext context) => ((long)context.Input[^1] + (Bias ? 1 : 0)) * Out;

    public override Module Build(LayerContext context, Generator rng)
    {
        var linear = new Linear(context.Input[^1], Out, Bias, rng);
        Init?.Apply(linear.Weight, linear.Bias, rng);
        return linear;
    }

    /// <summary>Gemm (transB) on a batch of vectors; MatMul by the transposed weight, then Add, on more axes.</summary>
    public override string ToOnnx(OnnxExporter onnx, LayerContext context, IReadOnlyList<string> inputs)
    {
        string weight = onnx.Weight("weight");
        if (context.Input.Length == 1)
        {
            return onnx.Node("Gemm", Bias ? [inputs[0], weight, onnx.Weight("bias")] : [inputs[0], weight], OnnxAttribute.Of("transB", 1L));
        }
        string product = onnx.Node("MatMul", [inputs[0], onnx.Node("Transpose", [weight], OnnxAttribute.Of("perm", [1L, 0L]))]);
        return Bias ? onnx.Node("Add", [product, onnx.Weight("bias")]) : product;
    }

    public override void WriteFields(Utf8JsonWriter json)
    {
        json.WriteNumber("out", Out);
        json.WriteBoolean("bias", Bias);
        InitSpec.WriteField(json, Init);
    }
}
