using Neurite.Autograd;

namespace Neurite.Tensors;

/// <summary>Operators and fluent forms of the ops, so that expressions read as math: (x.MatMul(w) + b).Relu().</summary>
public partial class Tensor
{
    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);
    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div(a, b);
    public static Tensor operator -(Tensor x) => Ops.Neg(x);
    public static Tensor operator +(Tensor a, float s) => Ops.Add(a, Scalar(s));
    public static Tensor operator +(float s, Tensor a) => Ops.Add(Scalar(s), a);
    public static Tensor operator -(Tensor a, float s) => Ops.Sub(a, Scalar(s));
    public static Tensor operator -(float s, Tensor a) => Ops.Sub(Scalar(s), a);
    public static Tensor operator *(Tensor a, float s) => Ops.Mul(a, Scalar(s));
    public static Tensor operator *(float s, Tensor a) => Ops.Mul(Scalar(s), a);
    public static Tensor operator /(Tensor a, float s) => Ops.Div(a, Scalar(s));
    public static Tensor operator /(float s, Tensor a) => Ops.Div(Scalar(s), a);

    public Tensor MatMul(Tensor other) => Ops.MatMul(this, other);
    public Tensor Pow(float p) => Ops.Pow(this, p);
    public Tensor Pow(Tensor p) => Ops.Pow(this, p);
    public Tensor Exp() => Ops.Exp(this);
    public Tensor Log() => Ops.Log(this);
    public Tensor Sqrt() => Ops.Sqrt(this);
    public Tensor Abs() => Ops.Abs(this);
    public Tensor Clamp(float? min = null, float? max = null) => Ops.Clamp(this, min, max);
    public Tensor Relu() => Ops.Relu(this);
    public Tensor Sigmoid() => Ops.Sigmoid(this);
    public Tensor Tanh() => Ops.Tanh(this);
    public Tensor Softmax(int axis = -1) => Ops.Softmax(this, axis);
    public Tensor LogSoftmax(int axis = -1) => Ops.LogSoftmax(this, axis);

    public Tensor Sum() => Ops.Sum(this);
    public Tensor Sum(int axis, bool keepDims = false) => Ops.Sum(this, axis, keepDims);
    public Tensor Sum(int[] axes, bool keepDims = false) => Ops.Sum(this, axes, keepDims);
    public Tensor Mean() => Ops.Mean(this);
    public Tensor Mean(int axis, bool keepDims = false) => Ops.Mean(this, axis, keepDims);
    public Tensor Mean(int[] axes, bool keepDims = false) => Ops.Mean(this, axes, keepDims);
    public Tensor Max() => Ops.Max(this);
    public Tensor Max(int axis, bool keepDims = false) => Ops.Max(this, axis, keepDims);
    public Tensor Min() => Ops.Min(this);
    public Tensor Min(int axis, bool keepDims = false) => Ops.Min(this, axis, keepDims);
    public Tensor ArgMax(int axis, bool keepDims = false) => Ops.ArgMax(this, axis, keepDims);
    public Tensor ArgMin(int axis, bool keepDims = false) => Ops.ArgMin(this, axis, keepDims);
    public Tensor Variance() => Ops.Variance(this);
    public Tensor Variance(int axis, int correction = 1, bool keepDims = false) => Ops.Variance(this, axis, correction, keepDims);

    public Tensor Reshape(params int[] shape) => Ops.Reshape(this, shape);
    public Tensor Flatten(int startAxis = 0, int endAxis = -1) => Ops.Flatten(this, startAxis, endAxis);
    public Tensor Unsqueeze(int axis) => Ops.Unsqueeze(this, axis);
    public Tensor Squeeze(int axis) => Ops.Squeeze(this, axis);
    public Tensor Permute(params int[] axes) => Ops.Permute(this, axes);
    public Tensor Transpose(int axis0 = -2, int axis1 = -1) => Ops.Transpose(this, axis0, axis1);
    public Tensor Slice(int axis, int start, int end, int step = 1) => Ops.Slice(this, axis, start, end, step);
    public Tensor BroadcastTo(params int[] shape) => Ops.BroadcastTo(this, shape);
}
