using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>ReLU(x) = max(0, x), element-wise.</summary>
public sealed class ReLU : Module
{
    public override Tensor Forward(Tensor x) => Ops.Relu(x);
}

/// <summary>σ(x) = 1 / (1 + e⁻ˣ), element-wise.</summary>
public sealed class Sigmoid : Module
{
    public override Tensor Forward(Tensor x) => Ops.Sigmoid(x);
}

/// <summary>tanh(x), element-wise.</summary>
public sealed class Tanh : Module
{
    public override Tensor Forward(Tensor x) => Ops.Tanh(x);
}

/// <summary>softmax along an axis (default the last): exp(xᵢ) / Σⱼ exp(xⱼ).</summary>
public sealed class Softmax(int axis = -1) : Module
{
    public override Tensor Forward(Tensor x) => Ops.Softmax(x, axis);

    public override string Describe() => $"Softmax(dim={axis})";
}

/// <summary>log-softmax along an axis (default the last): x − log Σ exp(x).</summary>
public sealed class LogSoftmax(int axis = -1) : Module
{
    public override Tensor Forward(Tensor x) => Ops.LogSoftmax(x, axis);

    public override string Describe() => $"LogSoftmax(dim={axis})";
}

/// <summary>Heaviside step: 1 where x ≥ 0, else 0 (the perceptron's threshold unit; no gradient).</summary>
public sealed class Step : Module
{
    public override Tensor Forward(Tensor x) => Ops.Step(x);
}

/// <summary>LeakyReLU: x where x &gt; 0, else α·x.</summary>
public sealed class LeakyReLU : Module
{
    public LeakyReLU(float negativeSlope = 0.01f)
    {
        if (!float.IsFinite(negativeSlope) || negativeSlope < 0)
        {
            throw new ArgumentException($"LeakyReLU: negativeSlope must be finite and >= 0; got {negativeSlope}.", nameof(negativeSlope));
        }
        NegativeSlope = negativeSlope;
    }

    public float NegativeSlope { get; }

    public override Tensor Forward(Tensor x) => Ops.LeakyRelu(x, NegativeSlope);

    public override string Describe() => $"LeakyReLU(negative_slope={NegativeSlope})";
}

/// <summary>ELU: x where x &gt; 0, else α(eˣ − 1).</summary>
public sealed class ELU(float alpha = 1f) : Module
{
    public override Tensor Forward(Tensor x) => Ops.Elu(x, alpha);

    public override string Describe() => $"ELU(alpha={alpha})";
}

/// <summary>GELU: x·Φ(x), exact (erf) or with the tanh approximation.</summary>
public sealed class GELU(bool tanhApproximation = false) : Module
{
    public override Tensor Forward(Tensor x) => tanhApproximation ? Ops.GeluTanh(x) : Ops.Gelu(x);

    public override string Describe() => tanhApproximation ? "GELU(approximate='tanh')" : "GELU()";
}

/// <summary>SiLU, also called Swish: x·σ(x).</summary>
public sealed class SiLU : Module
{
    public override Tensor Forward(Tensor x) => Ops.Silu(x);
}

/// <summary>Softplus: (1/β)·ln(1 + e^(βx)), linear beyond the threshold.</summary>
public sealed class Softplus(float beta = 1f, float threshold = 20f) : Module
{
    public override Tensor Forward(Tensor x) => Ops.Softplus(x, beta, threshold);

    public override string Describe() => $"Softplus(beta={beta}, threshold={threshold})";
}
