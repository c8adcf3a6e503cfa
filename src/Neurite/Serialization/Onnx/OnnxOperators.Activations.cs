using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>The activations, and Softmax, LogSoftmax and Hardmax with their meaning before opset 13.</summary>
internal static partial class OnnxOperators
{
    private static IEnumerable<OnnxOperator> Activations() =>
    [
        Activation("Relu", Ops.Relu),
        Activation("Sigmoid", Ops.Sigmoid),
        Activation("Tanh", Ops.Tanh),
        Activation("Softplus", x => Ops.Softplus(x)),
        Activation("Softsign", x => Ops.Div(x, Ops.Add(Ops.Abs(x), 1f))),
        Activation("LeakyRelu", (x, node) => Ops.LeakyRelu(x, node.Float("alpha", 0.01f)), "alpha"),
        Activation("Elu", (x, node) => Ops.Elu(x, node.Float("alpha", 1f)), "alpha"),
        // γ·elu(x, α), with ONNX's defaults (float32 values of SELU's constants).
        Activation("Selu", (x, node) => Ops.Mul(Ops.Elu(x, node.Float("alpha", 1.67326319217681884765625f)), node.Float("gamma", 1.05070102214813232421875f)), "alpha", "gamma"),
        Activation("Celu", (x, node) =>
        {
            float alpha = node.Float("alpha", 1f);
            // max(0, x) + min(0, α(e^(x/α) − 1)) = elu(x/α)·α.
            return Ops.Mul(Ops.Elu(Ops.Mul(x, 1f / alpha), 1f), alpha);
        }, "alpha"),
        Activation("HardSigmoid", (x, node) => HardSigmoid(x, node.Float("alpha", 0.2f), node.Float("beta", 0.5f)), "alpha", "beta"),
        Activation("HardSwish", x => Ops.Mul(x, HardSigmoid(x, 1f / 6, 0.5f))),
        Activation("ThresholdedRelu", (x, node) =>
            Ops.Where(Ops.Greater(x, Tensor.Scalar(node.Float("alpha", 1f))), x, Tensor.Scalar(0f)), "alpha"),
        new("PRelu", node =>
        {
            var (a, b) = Operands(node);
            var x = a.Float ?? throw node.Error($"input 0 is {a.Describe()}; PRelu takes float32");
            var slope = b.Float ?? throw node.Error($"input 1 is {b.Describe()}; PRelu takes float32");
            if (node.Opset < 7 && slope.Rank == 1 && x.Rank >= 2 && slope.Count == x.Shape[1])
            {
                // Before opset 7 a vector of slopes is one per channel (axis 1), as PyTorch's PReLU(num_parameters=C).
                slope = Ops.Reshape(slope, [slope.Count, .. Enumerable.Repeat(1, x.Rank - 2)]);
            }
            return One(OnnxValue.Of(Ops.Where(Ops.Less(x, Tensor.Scalar(0f)), Ops.Mul(x, slope), x)));
        }, LegacyBinary),
        SoftmaxLike("Softmax", Ops.Softmax),
        SoftmaxLike("LogSoftmax", Ops.LogSoftmax),
        SoftmaxLike("Hardmax", Hardmax),
    ];

    private static OnnxOperator Activation(string name, Func<Tensor, Tensor> f) =>
        new(name, node => One(OnnxValue.Of(f(node.Float(0)))), ["consumed_inputs"]);

    private static OnnxOperator Activation(string name, Func<Tensor, OnnxNodeContext, Tensor> f, params string[] attributes) =>
        new(name, node => One(OnnxValue.Of(f(node.Float(0), node))), [.. attributes, "consumed_inputs"]);

    /// <summary>max(0, min(1, αx + β)).</summary>
    private static Tensor HardSigmoid(Tensor x, float alpha, float beta) => Ops.Clamp(Ops.Add(Ops.Mul(x, alpha), beta), 0f, 1f);

    /// <summary>
    /// An operator along an axis (default −1) from opset 13; before it, the input is seen as a matrix whose rows are
    /// the axes before <c>axis</c> (default 1) and whose columns are the axes from it on, and the operator runs along the rows.
    /// </summary>
    private static OnnxOperator SoftmaxLike(string name, Func<Tensor, int, Tensor> op) => new(name, node =>
    {
        var x = node.Float(0);
        if (node.Opset >= 13)
        {
            return One(OnnxValue.Of(op(x, Axis(node, node.Int("axis", -1), x.Rank))));
        }
        int axis = x.Rank == 0 ? 0 : Axis(node, node.Int("axis", 1), x.Rank);
        int rows = x.ShapeArray[..axis].Aggregate(1, (a, b) => a * b);
        var matrix = Ops.Reshape(x, [rows, x.Count / Math.Max(rows, 1)]);
        return One(OnnxValue.Of(Ops.Reshape(op(matrix, 1), x.ShapeArray)));
    }, ["axis"]);

    /// <summary>1 at the first largest value along the axis, 0 elsewhere (no gradient).</summary>
    private static Tensor Hardmax(Tensor x, int axis)
    {
        var shape = x.ShapeArray;
        int a = Shapes.NormalizeAxis(axis, shape.Length, "Hardmax");
        int size = shape[a], inner = shape[(a + 1)..].Aggregate(1, (p, q) => p * q), outer = x.Count / Math.Max(size * inner, 1);
        var values = x.ToArray();
        var result = new float[values.Length];
        for (int o = 0; o < outer; o++)
        {
            for (int i = 0; i < inner; i++)
            {
                int best = 0;
                for (int k = 1; k < size; k++)
                {
                    if (values[(o * size + k) * inner + i] > values[(o * size + best) * inner + i])
                    {
                        best = k;
                    }
                }
                if (size > 0)
                {
                    result[(o * size + best) * inner + i] = 1;
                }
            }
        }
        return Tensor.From(result, shape);
    }
}
