using Neurite.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Neurite.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Inverted dropout, as torch.nn.functional.dropout in training: each element is kept with probability 1 − p and
    /// scaled by 1/(1 − p), or zeroed. y = x ⊙ m and ∂x = g ⊙ m, with m the factors (0 or 1/(1 − p)) drawn from
    /// <paramref name="rng"/>, one Bernoulli draw per element in order. p = 0 returns x itself.
    /// </summary>
    /// <exception cref="ArgumentException">p is outside [0, 1).</exception>
    public static Tensor Dropout(Tensor x, float p, Generator rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (!(p >= 0 && p < 1))
        {
            throw new ArgumentException($"Dropout: p must be in [0, 1); got {p}.", nameof(p));
        }
        if (p == 0)
        {
            return x;
        }
        var keep = Tensor.Empty(x.Shape);
        rng.FillBernoulli(keep.Data, 1f - p);
        TensorPrimitives.Multiply(keep.Data, 1f / (1f - p), keep.Data);
        var y = Tensor.Empty(x.Shape);
        TensorPrimitives.Multiply(x.Data, keep.Data, y.Data);
        return Graph.RecordOp(y, nameof(Dropout), [x], g =>
        {
            var dx = Tensor.Empty(x.Shape);
            TensorPrimitives.Multiply(g.Data, keep.Data, dx.Data);
            return [dx];
        });
    }
}
