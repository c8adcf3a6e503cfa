using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>Arithmetic, comparisons, logic, Where, MatMul, Gemm and the element-wise functions.</summary>
internal static partial class OnnxOperators
{
    /// <summary>Before opset 7 a binary operator broadcast only when told, with B aligned at an axis of A (a property: the operator table is built before this file's static fields).</summary>
    private static string[] LegacyBinary => ["broadcast", "axis", "consumed_inputs"];

    private static IEnumerable<OnnxOperator> Elementwise() =>
    [
        Binary("Add", Ops.Add, (a, b) => a + b),
        Binary("Sub", Ops.Sub, (a, b) => a - b),
        Binary("Mul", Ops.Mul, (a, b) => a * b),
        Binary("Div", Ops.Div, (a, b) => b == 0 ? throw new DivideByZeroException("integer division by zero") : a / b),
        new("Pow", Pow, LegacyBinary),
        new("Mod", Mod, ["fmod"]),
        Compare("Equal", (a, b) => a == b, (a, b) => a == b),
        Compare("Less", (a, b) => a < b, (a, b) => a < b),
        Compare("LessOrEqual", (a, b) => a <= b, (a, b) => a <= b),
        Compare("Greater", (a, b) => a > b, (a, b) => a > b),
        Compare("GreaterOrEqual", (a, b) => a >= b, (a, b) => a >= b),
        Logic("And", (a, b) => a & b),
        Logic("Or", (a, b) => a | b),
        Logic("Xor", (a, b) => a ^ b),
        new("Not", node => One(IntMap(node, node.Input(0), OnnxDataType.Bool, v => v == 0 ? 1 : 0, requireBool: true)), []),
        Variadic("Max", Ops.Maximum, Math.Max),
        Variadic("Min", Ops.Minimum, Math.Min),
        Variadic("Sum", Ops.Add, (a, b) => a + b),
        new("Mean", node => One(OnnxValue.Of(Ops.Mul(Fold(node, Ops.Add), 1f / node.Inputs.Count))), ["consumed_inputs"]),
        new("Where", Where, []),
        new("MatMul", node => One(OnnxValue.Of(Ops.MatMul(node.Float(0), node.Float(1)))), []),
        new("Gemm", Gemm, ["alpha", "beta", "transA", "transB", "broadcast"]),
        Unary("Abs", Ops.Abs, Math.Abs),
        Unary("Neg", Ops.Neg, v => -v),
        Unary("Sign", Ops.Sign, v => Math.Sign(v)),
        Unary("Exp", Ops.Exp),
        Unary("Log", Ops.Log),
        Unary("Sqrt", Ops.Sqrt),
        Unary("Reciprocal", x => Ops.Div(Tensor.Scalar(1f), x)),
        Unary("Sin", Ops.Sin),
        Unary("Cos", Ops.Cos),
        Unary("Erf", Ops.Erf),
        Unary("Floor", x => Constant(x, MathF.Floor)),
        Unary("Ceil", x => Constant(x, MathF.Ceiling)),
        Unary("Round", x => Constant(x, v => MathF.Round(v, MidpointRounding.ToEven))),
        new("IsNaN", node => One(FloatTest(node, float.IsNaN)), []),
        new("IsInf", node =>
        {
            bool negative = node.Int("detect_negative", 1) != 0, positive = node.Int("detect_positive", 1) != 0;
            return One(FloatTest(node, v => (negative && float.IsNegativeInfinity(v)) || (positive && float.IsPositiveInfinity(v))));
        }, ["detect_negative", "detect_positive"]),
        new("Clip", Clip, ["min", "max", "consumed_inputs"], StaticInputs: [1, 2]),
    ];

    /// <summary>The operands of a binary operator, B reshaped to align at an axis of A where an opset before 7 says to broadcast.</summary>
    private static (OnnxValue A, OnnxValue B) Operands(OnnxNodeContext node)
    {
        var a = node.Input(0);
        var b = node.Input(1);
        if (node.Opset >= 7 || node.Int("broadcast", 0) == 0)
        {
            return (a, b);
        }
        int axis = node.Has("axis") ? Axis(node, node.Int("axis", 0), a.Rank) : a.Rank - b.Rank;
        int after = a.Rank - axis - b.Rank;
        if (axis < 0 || after < 0)
        {
            throw node.Error($"cannot broadcast {b.Describe()} onto {a.Describe()} at axis {axis}");
        }
        return (a, b.Reshape([.. Enumerable.Repeat(1, axis), .. b.Shape, .. Enumerable.Repeat(1, after)]));
    }

    private static OnnxOperator Binary(string name, Func<Tensor, Tensor, Tensor> floats, Func<long, long, long> ints) => new(name, node =>
    {
        var (a, b) = Operands(node);
        if (a.IsFloat && b.IsFloat)
        {
            return One(OnnxValue.Of(floats(a.Float!, b.Float!)));
        }
        return One(IntBinary(node, a, b, a.Type, (x, y) => Wrap(a.Type, ints(x, y))));
    }, LegacyBinary);

    /// <summary>An element-wise operation on two integer values of one type, broadcasting as numpy does.</summary>
    private static OnnxValue IntBinary(OnnxNodeContext node, OnnxValue a, OnnxValue b, OnnxDataType result, Func<long, long, long> op)
    {
        if (a.IsFloat || b.IsFloat || a.Type != b.Type)
        {
            throw node.Error($"inputs {a.Describe()} and {b.Describe()}: {node.Node.OpType} takes two values of one type");
        }
        var shape = Checked(node, Shapes.Broadcast(a.Shape, b.Shape, node.Node.OpType));
        var (ia, ib) = (BroadcastSource(a.Shape, shape), BroadcastSource(b.Shape, shape));
        var (x, y) = (a.Ints!, b.Ints!);
        var output = new long[ia.Length];
        for (int i = 0; i < output.Length; i++)
        {
            output[i] = op(x[ia[i]], y[ib[i]]);
        }
        return OnnxValue.Of(result, output, shape);
    }

    /// <summary>Pow: a float base with a float or integer exponent (differentiable), or an integer base (computed in double, cut to its type).</summary>
    private static OnnxValue[] Pow(OnnxNodeContext node)
    {
        var (a, b) = Operands(node);
        if (a.Float is { } x)
        {
            return One(OnnxValue.Of(Ops.Pow(x, b.Float ?? Tensor.From([.. b.Ints!.Select(v => (float)v)], b.Shape))));
        }
        var shape = Checked(node, Shapes.Broadcast(a.Shape, b.Shape, "Pow"));
        var (ia, ib) = (BroadcastSource(a.Shape, shape), BroadcastSource(b.Shape, shape));
        var exponents = b.Numbers();
        return One(OnnxValue.Of(a.Type, [.. ia.Select((source, i) => Wrap(a.Type, (long)Math.Pow(a.Ints![source], exponents[ib[i]])))], shape));
    }

    /// <summary>
    /// Mod: the remainder with the divisor's sign (Python's %), or with fmod = 1 the dividend's (C's fmod, the only
    /// one for floats, where it is x − trunc(x/y)·y: 1 toward x, −trunc(x/y) toward y).
    /// </summary>
    private static OnnxValue[] Mod(OnnxNodeContext node)
    {
        var (a, b) = (node.Input(0), node.Input(1));
        bool fmod = node.Int("fmod", 0) != 0;
        if (a.Float is { } x && b.Float is { } y)
        {
            if (!fmod)
            {
                throw node.Error("float Mod needs fmod = 1");
            }
            var quotient = Ops.Div(x, y).Detach();
            return One(OnnxValue.Of(Ops.Sub(x, Ops.Mul(Constant(quotient, MathF.Truncate), y))));
        }
        return One(IntBinary(node, a, b, a.Type, (p, q) =>
        {
            if (q == 0)
            {
                throw new DivideByZeroException("integer modulo by zero");
            }
            long r = p % q;
            return Wrap(a.Type, !fmod && r != 0 && (r < 0) != (q < 0) ? r + q : r);
        }));
    }

    private static OnnxOperator Compare(string name, Func<float, float, bool> floats, Func<long, long, bool> ints) => new(name, node =>
    {
        var (a, b) = Operands(node);
        if (a.Float is { } x && b.Float is { } y)
        {
            var shape = Checked(node, Shapes.Broadcast(a.Shape, b.Shape, name));
            var (ia, ib) = (BroadcastSource(a.Shape, shape), BroadcastSource(b.Shape, shape));
            var (xs, ys) = (x.ToArray(), y.ToArray());
            return One(OnnxValue.Of(OnnxDataType.Bool, [.. ia.Select((source, i) => floats(xs[source], ys[ib[i]]) ? 1L : 0L)], shape));
        }
        return One(IntBinary(node, a, b, OnnxDataType.Bool, (p, q) => ints(p, q) ? 1 : 0));
    }, LegacyBinary);

    private static OnnxOperator Logic(string name, Func<long, long, long> op) => new(name, node =>
    {
        var (a, b) = Operands(node);
        if (a.Type != OnnxDataType.Bool || b.Type != OnnxDataType.Bool)
        {
            throw node.Error($"inputs {a.Describe()} and {b.Describe()}: {name} takes bool");
        }
        return One(IntBinary(node, a, b, OnnxDataType.Bool, op));
    }, LegacyBinary);

    /// <summary>Max, Min, Sum of any number of inputs, broadcasting: differentiable on floats, exact on integers.</summary>
    private static OnnxOperator Variadic(string name, Func<Tensor, Tensor, Tensor> floats, Func<long, long, long> ints) => new(name, node =>
    {
        if (node.Input(0).IsFloat)
        {
            return One(OnnxValue.Of(Fold(node, floats)));
        }
        var result = node.Input(0);
        for (int i = 1; i < node.Inputs.Count; i++)
        {
            var type = result.Type;
            result = IntBinary(node, result, node.Input(i), type, (a, b) => Wrap(type, ints(a, b)));
        }
        return One(result);
    }, ["consumed_inputs"]);

    private static Tensor Fold(OnnxNodeContext node, Func<Tensor, Tensor, Tensor> op)
    {
        var result = node.Float(0);
        for (int i = 1; i < node.Inputs.Count; i++)
        {
            result = op(result, node.Float(i));
        }
        return result;
    }

    /// <summary>A function of float values (differentiable), and of integers where <paramref name="ints"/> is given.</summary>
    private static OnnxOperator Unary(string name, Func<Tensor, Tensor> floats, Func<long, long>? ints = null) => new(name, node =>
    {
        var x = node.Input(0);
        if (x.Float is { } f)
        {
            return One(OnnxValue.Of(floats(f)));
        }
        return ints is null
            ? throw node.Error($"input 0 is {x.Describe()}; {name} takes float32")
            : One(IntMap(node, x, x.Type, v => Wrap(x.Type, ints(v))));
    }, ["consumed_inputs"]);

    /// <summary>A step function's values (floor, ceil, round), outside the gradient: its derivative is 0 almost everywhere.</summary>
    private static Tensor Constant(Tensor x, Func<float, float> f) => Tensor.From([.. x.ToArray().Select(f)], x.ShapeArray);

    private static OnnxValue IntMap(OnnxNodeContext node, OnnxValue x, OnnxDataType result, Func<long, long> f, bool requireBool = false)
    {
        if (x.IsFloat || (requireBool && x.Type != OnnxDataType.Bool))
        {
            throw node.Error($"input 0 is {x.Describe()}; {node.Node.OpType} takes {(requireBool ? "bool" : "integers")} here");
        }
        return OnnxValue.Of(result, [.. x.Ints!.Select(f)], x.Shape);
    }

    private static OnnxValue FloatTest(OnnxNodeContext node, Func<float, bool> test) =>
        OnnxValue.Of(OnnxDataType.Bool, [.. node.Float(0).ToArray().Select(v => test(v) ? 1L : 0L)], node.Input(0).Shape);

    private static OnnxValue[] Where(OnnxNodeContext node)
    {
        var (condition, a, b) = (node.Input(0), node.Input(1), node.Input(2));
        if (condition.Type != OnnxDataType.Bool)
        {
            throw node.Error($"input 0 is {condition.Describe()}; Where takes a bool condition");
        }
        if (a.Float is { } x && b.Float is { } y)
        {
            return One(OnnxValue.Of(Ops.Where(Tensor.From([.. condition.Ints!.Select(v => (float)v)], condition.Shape), x, y)));
        }
        if (a.IsFloat || b.IsFloat || a.Type != b.Type)
        {
            throw node.Error($"inputs {a.Describe()} and {b.Describe()}: Where takes two values of one type");
        }
        var shape = Checked(node, Shapes.Broadcast(Shapes.Broadcast(condition.Shape, a.Shape, "Where"), b.Shape, "Where"));
        var (ic, ia, ib) = (BroadcastSource(condition.Shape, shape), BroadcastSource(a.Shape, shape), BroadcastSource(b.Shape, shape));
        return One(OnnxValue.Of(a.Type, [.. ic.Select((c, i) => condition.Ints![c] != 0 ? a.Ints![ia[i]] : b.Ints![ib[i]])], shape));
    }

    /// <summary>Gemm: alpha·op(A)·op(B) + beta·C, op a transpose where transA/transB say; C broadcasts (before opset 7, only when told to).</summary>
    private static OnnxValue[] Gemm(OnnxNodeContext node)
    {
        var (a, b) = (node.Float(0), node.Float(1));
        if (a.Rank != 2 || b.Rank != 2)
        {
            throw node.Error($"inputs {Shapes.Format(a.Shape)} and {Shapes.Format(b.Shape)}: Gemm takes two matrices");
        }
        var y = Ops.MatMul(a, b, node.Int("transA", 0) != 0, node.Int("transB", 0) != 0);
        float alpha = node.Float("alpha", 1f), beta = node.Float("beta", 1f);
        if (alpha != 1)
        {
            y = Ops.Mul(y, alpha);
        }
        if (node.Optional(2) is { } c)
        {
            var bias = c.Float ?? throw node.Error($"input 2 is {c.Describe()}; Gemm takes float32");
            y = Ops.Add(y, beta == 1 ? bias : Ops.Mul(bias, beta));
        }
        return One(OnnxValue.Of(y));
    }

    /// <summary>Clip to [min, max] (attributes before opset 11, inputs since); where min &gt; max every value becomes max.</summary>
    private static OnnxValue[] Clip(OnnxNodeContext node)
    {
        double? min = node.Opset < 11 ? node.Has("min") ? node.Float("min", 0) : null : node.Scalar(1);
        double? max = node.Opset < 11 ? node.Has("max") ? node.Float("max", 0) : null : node.Scalar(2);
        var x = node.Input(0);
        if (x.Float is { } f)
        {
            var low = min is { } lo ? Ops.Clamp(f, min: (float)lo) : f;
            return One(OnnxValue.Of(max is { } hi ? Ops.Clamp(low, max: (float)hi) : low));
        }
        return One(IntMap(node, x, x.Type, v => Math.Min(Math.Max(v, min is { } lo ? (long)lo : long.MinValue), max is { } hi ? (long)hi : long.MaxValue)));
    }
}
