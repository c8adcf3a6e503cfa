using Neurite.Tensors;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace Neurite.Autograd;

public static partial class Ops
{
    /// <summary>ReLU: max(0, x). ∂x = g where x &gt; 0, else 0 (the derivative at 0 is taken as 0, as PyTorch).</summary>
    public static Tensor Relu(Tensor x)
    {
        var y = Tensor.Empty(x.Shape);
        Kernels.Elementwise.Relu(x.Data, y.Data);
        return Graph.RecordOp(y, nameof(Relu), [x], g =>
        {
            var dx = Tensor.Empty(x.Shape);
            Kernels.Elementwise.ReluBackward(g.Data, x.Data, dx.Data);
            return [dx];
        });
    }

    /// <summary>σ(x) = 1 / (1 + e⁻ˣ). ∂x = g·y(1 − y).</summary>
    public static Tensor Sigmoid(Tensor x)
    {
        var y = Tensor.Empty(x.Shape);
        TensorPrimitives.Sigmoid(x.Data, y.Data);
        return Graph.RecordOp(y, nameof(Sigmoid), [x], g =>
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
        Kernels.Elementwise.Tanh(x.Data, y.Data);
        return Graph.RecordOp(y, nameof(Tanh), [x], g =>
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
        return Graph.RecordOp(y, nameof(Softmax), [x], g => [Mul(y, Sub(g, Sum(Mul(g, y), a, keepDims: true)))]);
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
        return Graph.RecordOp(y, nameof(LogSoftmax), [x], g => [Sub(g, Mul(Exp(y), Sum(g, a, keepDims: true)))]);
    }

    /// <summary>
    /// y = f(x) element-wise by a scalar function, with ∂x = g·f′(x). For activations that
    /// TensorPrimitives lacks; f′ is evaluated in the backward from the saved input.
    /// </summary>
    private static Tensor Pointwise(Tensor x, string name, Func<float, float> f, Func<float, float> derivative)
    {
        var y = Tensor.Empty(x.Shape);
        var source = x.Data;
        var destination = y.Data;
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = f(source[i]);
        }
        return Graph.RecordOp(y, name, [x], g =>
        {
            var slope = Tensor.Empty(x.Shape);
            var input = x.Data;
            var d = slope.Data;
            for (int i = 0; i < input.Length; i++)
            {
                d[i] = derivative(input[i]);
            }
            return [Mul(g, slope)];
        });
    }

    /// <summary>
    /// The Heaviside step of the perceptron: 1 where x ≥ 0, else 0. Its derivative is 0 wherever it
    /// exists, so no gradient flows through it (the perceptron learns by its own rule instead).
    /// </summary>
    public static Tensor Step(Tensor x) => Pointwise(x, nameof(Step), v => v >= 0 ? 1f : float.IsNaN(v) ? v : 0f, _ => 0f);

    /// <summary>LeakyReLU: x where x &gt; 0, else α·x (α = 0.01 by default, as PyTorch). ∂x = g·(1 or α).</summary>
    public static Tensor LeakyRelu(Tensor x, float negativeSlope = 0.01f) =>
        Pointwise(x, nameof(LeakyRelu), v => v > 0 ? v : negativeSlope * v, v => v > 0 ? 1f : negativeSlope);

    /// <summary>
    /// ELU: x where x &gt; 0, else α(eˣ − 1). ∂x = g·(1 or α·eˣ). eˣ − 1 is taken in double: in float32 it loses
    /// the digits of a small x (PyTorch uses expm1 for that).
    /// </summary>
    public static Tensor Elu(Tensor x, float alpha = 1f) =>
        Pointwise(x, nameof(Elu), v => v > 0 ? v : alpha * (float)(Math.Exp(v) - 1), v => v > 0 ? 1f : alpha * MathF.Exp(v));

    /// <summary>
    /// GELU, exact: x·Φ(x), Φ the standard normal CDF. ∂x = g·(Φ(x) + x·φ(x)) with φ the standard normal density.
    /// Φ and φ come from <see cref="Kernels.Elementwise.Gelu"/>'s vector passes.
    /// </summary>
    public static Tensor Gelu(Tensor x)
    {
        var y = Tensor.Empty(x.Shape);
        Kernels.Elementwise.Gelu(x.Data, y.Data);
        return Graph.RecordOp(y, nameof(Gelu), [x], g =>
        {
            var dx = Tensor.Empty(x.Shape);
            Kernels.Elementwise.GeluBackward(g.Data, x.Data, dx.Data);
            return [dx];
        });
    }

    /// <summary>
    /// GELU, tanh approximation (torch's approximate='tanh'): ½x(1 + tanh(u)), u = √(2/π)(x + 0.044715x³), computed
    /// as x·σ(2u) since ½(1 + tanh u) = σ(2u), which stays accurate where tanh(u) is near −1.
    /// ∂x = s + 2x·u′·s(1 − s) with s = σ(2u), 1 − s = σ(−2u) and u′ = √(2/π)(1 + 3·0.044715x²).
    /// </summary>
    public static Tensor GeluTanh(Tensor x) => Pointwise(x, nameof(GeluTanh),
        v => (float)(v * Sigmoid(2 * GeluTanhArgument(v))),
        v =>
        {
            double u = 2 * GeluTanhArgument(v);
            double slope = Sqrt2OverPi * (1 + 3 * GeluCubic * (double)v * v);
            return (float)(Sigmoid(u) + 2 * v * slope * Sigmoid(u) * Sigmoid(-u));
        });

    private static double GeluTanhArgument(float v) => Sqrt2OverPi * (v + GeluCubic * (double)v * v * v);

    /// <summary>SiLU (Swish): x·σ(x). ∂x = g·σ(x)(1 + x(1 − σ(x))).</summary>
    public static Tensor Silu(Tensor x) => Pointwise(x, nameof(Silu),
        v => v * StableSigmoid(v),
        v =>
        {
            float s = StableSigmoid(v);
            return s * (1f + v * (1f - s));
        });

    /// <summary>
    /// Softplus: (1/β)·ln(1 + e^(βx)), and x itself where βx &gt; threshold (β = 1, threshold = 20, as
    /// PyTorch). ∂x = g·σ(βx) (1 beyond the threshold). The logarithm is taken in double: in float32,
    /// 1 + e^(βx) rounds away most digits of a small e^(βx) (PyTorch uses log1p for that).
    /// </summary>
    public static Tensor Softplus(Tensor x, float beta = 1f, float threshold = 20f) => Pointwise(x, nameof(Softplus),
        v => beta * v > threshold ? v : (float)(Math.Log(1 + Math.Exp(beta * (double)v)) / beta),
        v => beta * v > threshold ? 1f : StableSigmoid(beta * v));

    private const double Sqrt2OverPi = 0.79788456080286536;
    private const double GeluCubic = 0.044715;

    /// <summary>σ(v) without overflow: e^(−|v|) never exceeds 1.</summary>
    private static float StableSigmoid(float v)
    {
        float e = MathF.Exp(-MathF.Abs(v));
        return v >= 0 ? 1f / (1f + e) : e / (1f + e);
    }

    /// <summary>σ(v) in double, without overflow.</summary>
    private static double Sigmoid(double v)
    {
        double e = Math.Exp(-Math.Abs(v));
        return v >= 0 ? 1 / (1 + e) : e / (1 + e);
    }

    /// <summary>
    /// The error function erf(x) = (2/√π)∫₀ˣ e^(−t²) dt (torch.erf), element-wise. ∂x = g·(2/√π)e^(−x²).
    /// </summary>
    public static Tensor Erf(Tensor x) => Pointwise(x, nameof(Erf), v => (float)ErfOf(v), v => (float)(TwoOverSqrtPi * Math.Exp(-(double)v * v)));

    private const double TwoOverSqrtPi = 1.1283791670955126;
    private const double InverseSqrt2 = 0.70710678118654752;

    /// <summary>
    /// erf by its Maclaurin series (2/√π)Σ(−1)ⁿx²ⁿ⁺¹/(n!(2n + 1)) below |x| = 2, where the terms stay below 3 and
    /// double precision keeps float32's; beyond, 1 − erfc(|x|) (<see cref="NormalCdf"/>'s erfc, good to 1.2e-7
    /// relative, on a value below 0.005), with erf's sign.
    /// </summary>
    internal static double ErfOf(double x)
    {
        if (double.IsNaN(x))
        {
            return x;
        }
        double z = Math.Abs(x);
        if (z >= 2)
        {
            return Math.CopySign(1 - 2 * NormalCdf(-z * Math.Sqrt(2)), x);
        }
        double sum = 0, term = x, square = x * x;
        for (int n = 0; Math.Abs(term) > 1e-17 * Math.Abs(sum) || n == 0; n++)
        {
            sum += term / (2 * n + 1);
            term *= -square / (n + 1);
        }
        return TwoOverSqrtPi * sum;
    }

    /// <summary>
    /// Φ(v), the standard normal CDF, as ½·erfc(−v/√2), with erfc from Numerical Recipes' Chebyshev fit (erfcc):
    /// relative error below 1.2e-7 everywhere, the tail included.
    /// </summary>
    internal static double NormalCdf(double v)
    {
        double x = -v * InverseSqrt2;
        double z = Math.Abs(x);
        double t = 1 / (1 + 0.5 * z);
        double erfc = t * Math.Exp(-z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806
            + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
        return 0.5 * (x >= 0 ? erfc : 2 - erfc);
    }
}
