using Neurite.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Neurite.Autograd;

public static partial class Ops
{
    /// <summary>ReLU: max(0, x). ∂x = g where x &gt; 0, else 0 (the derivative at 0 is taken as 0, as PyTorch).</summary>
    public static Tensor Relu(Tensor x)
    {
        var y = Tensor.Empty(x.Shape);
        TensorPrimitives.Max(x.Data, 0f, y.Data);
        return Graph.Record(y, nameof(Relu), [x], g => [Mul(g, Greater(x, Tensor.Scalar(0)))]);
    }

    /// <summary>σ(x) = 1 / (1 + e⁻ˣ). ∂x = g·y(1 − y).</summary>
    public static Tensor Sigmoid(Tensor x)
    {
        var y = Tensor.Empty(x.Shape);
        TensorPrimitives.Sigmoid(x.Data, y.Data);
        return Graph.Record(y, nameof(Sigmoid), [x], g =>
        {
            var slope = Tensor.Empty(y.Shape);
            TensorPrimitives.Subtract(1f, y.Data, slope.Data);
            TensorPrimitives.Multiply(slope.Data, y.Data, slope.Data);
            return [Mul(g, slope)];
        });
    }

    /// <summary>tanh(x). ∂x = g·(1 − y²).</summary>
    public static Tensor Tanh(Tensor x)
    {
        var y = Tensor.Empty(x.Shape);
        TensorPrimitives.Tanh(x.Data, y.Data);
        return Graph.Record(y, nameof(Tanh), [x], g =>
        {
            var slope = Tensor.Empty(y.Shape);
            TensorPrimitives.Multiply(y.Data, y.Data, slope.Data);
            TensorPrimitives.Subtract(1f, slope.Data, slope.Data);
            return [Mul(g, slope)];
        });
    }

    /// <summary>
    /// softmax(x)ᵢ = exp(xᵢ) / Σⱼ exp(xⱼ) along <paramref name="axis"/> (max subtracted first).
    /// ∂x = y ⊙ (g − Σ g⊙y).
    /// </summary>
    public static Tensor Softmax(Tensor x, int axis = -1)
    {
        int a = Shapes.NormalizeAxis(axis, x.Rank, nameof(Softmax));
        var y = Tensor.Empty(x.Shape);
        Kernels.Softmax.Forward(x.Data, Product(x.ShapeArray, 0, a), x.Shape[a], Product(x.ShapeArray, a + 1, x.Rank), y.Data, log: false);
        return Graph.Record(y, nameof(Softmax), [x], g => [Mul(y, Sub(g, Sum(Mul(g, y), a, keepDims: true)))]);
    }

    /// <summary>
    /// log softmax(x) = x − log Σ exp(x) along <paramref name="axis"/> (log-sum-exp with the max
    /// subtracted). ∂x = g − softmax(x) ⊙ Σ g.
    /// </summary>
    public static Tensor LogSoftmax(Tensor x, int axis = -1)
    {
        int a = Shapes.NormalizeAxis(axis, x.Rank, nameof(LogSoftmax));
        var y = Tensor.Empty(x.Shape);
        Kernels.Softmax.Forward(x.Data, Product(x.ShapeArray, 0, a), x.Shape[a], Product(x.ShapeArray, a + 1, x.Rank), y.Data, log: true);
        return Graph.Record(y, nameof(LogSoftmax), [x], g => [Sub(g, Mul(Exp(y), Sum(g, a, keepDims: true)))]);
    }
}
