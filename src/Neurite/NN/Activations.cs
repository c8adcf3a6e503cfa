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
