using Neurite.Tensors;

namespace Neurite.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Layer normalization over the trailing <paramref name="normalizedShape"/> axes, as torch.nn.functional.layer_norm:
    /// y = (x − μ)/√(σ² + ε)·γ + β with μ and the biased σ² of each sample's trailing values, γ (<paramref name="weight"/>)
    /// and β (<paramref name="bias"/>) shaped as normalizedShape, both or neither. One fused kernel pass per row
    /// (<see cref="Kernels.Normalization"/>); the backward keeps μ and 1/√(σ² + ε) per row.
    /// </summary>
    /// <exception cref="ArgumentException">x does not end in normalizedShape, or weight and bias are not both null or both of normalizedShape.</exception>
    public static Tensor LayerNorm(Tensor x, ReadOnlySpan<int> normalizedShape, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        int k = normalizedShape.Length;
        if (k == 0 || x.Rank < k || !x.Shape[^k..].SequenceEqual(normalizedShape))
        {
            throw new ArgumentException($"LayerNorm: input {Shapes.Format(x.Shape)} does not end in {Shapes.Format(normalizedShape)}.");
        }
        if ((weight is null) != (bias is null) || (weight is not null && !(Shapes.SameShape(weight.Shape, normalizedShape) && Shapes.SameShape(bias!.Shape, normalizedShape))))
        {
            throw new ArgumentException(
                $"LayerNorm: weight and bias must both be {Shapes.Format(normalizedShape)} or both absent; got {(weight is null ? "none" : Shapes.Format(weight.Shape))} and {(bias is null ? "none" : Shapes.Format(bias.Shape))}.");
        }
        int n = Product(x.ShapeArray, x.Rank - k, x.Rank), rows = Product(x.ShapeArray, 0, x.Rank - k);
        var y = Tensor.Empty(x.Shape);
        float[] mean = new float[rows], rstd = new float[rows];
        Kernels.Normalization.LayerNormForward(x.Data, rows, n, weight is null ? default : weight.Data, bias is null ? default : bias.Data, eps, y.Data, mean, rstd);
        Tensor[] inputs = weight is null ? [x] : [x, weight, bias!];
        return Graph.RecordOp(y, nameof(LayerNorm), inputs, g =>
        {
            var dx = x.RequiresGrad ? Tensor.Empty(x.Shape) : null;
            var dWeight = weight is { RequiresGrad: true } ? weight.GradientBuffer() : null;
            var dBias = bias is { RequiresGrad: true } ? bias.GradientBuffer() : null;
            Kernels.Normalization.LayerNormBackward(x.Data, rows, n, weight is null ? default : weight.Data, mean, rstd, g.Data,
                dx is null ? default : dx.Data, dWeight is null ? default : dWeight.Data, dBias is null ? default : dBias.Data, new float[2 * n]);
            return weight is null ? [dx] : [dx, dWeight, dBias];
        });
    }
}
