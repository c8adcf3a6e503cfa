using Neurite.Serialization;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.Onnx;

/// <summary>
/// A finite-difference gradient check of every differentiable operator an imported graph may use, each in a
/// one-node (or few-node) graph run by <see cref="OnnxGraphModule"/>, so that fine-tuning an imported model
/// follows the true gradient.
/// </summary>
public class OnnxGradientTests
{
    /// <summary>A graph of <paramref name="nodes"/> whose float inputs x0, x1, … have <paramref name="shapes"/>, whose constants are int64 initializers, and whose output is y.</summary>
    private static OnnxGraphModule Graph(int[][] shapes, OnnxNode[] nodes, (string Name, long[] Values)[]? constants = null, int opset = 17) =>
        new(new OnnxModel
        {
            IrVersion = 8,
            Opsets = [new OnnxOpset("", opset)],
            Graph = new OnnxGraph
            {
                Nodes = nodes,
                Inputs = [.. shapes.Select((shape, i) => new OnnxValueInfo { Name = $"x{i}", ElementType = OnnxDataType.Float, Shape = [.. shape.Select(size => (OnnxDim)size)] })],
                Initializers = [.. (constants ?? []).Select(c => OnnxTensor.Of(c.Name, [c.Values.Length], c.Values))],
                Outputs = [new OnnxValueInfo { Name = "y", ElementType = OnnxDataType.Float }],
            },
        }, "gradient.onnx", new Generator(0));

    private static OnnxNode Node(string op, string[] inputs, params OnnxAttribute[] attributes) =>
        new() { OpType = op, Inputs = inputs, Outputs = ["y"], Attributes = attributes };

    /// <summary>Checks ∂y/∂x for a one-node graph on inputs drawn from [low, high).</summary>
    private static void Check1(string op, int[][] shapes, float low = -2f, float high = 2f, OnnxAttribute[]? attributes = null,
        (string Name, long[] Values)[]? constants = null, int opset = 17)
    {
        string[] inputs = [.. shapes.Select((_, i) => $"x{i}"), .. (constants ?? []).Select(c => c.Name)];
        var module = Graph(shapes, [Node(op, inputs, attributes ?? [])], constants, opset);
        module.Eval();
        Check(x => module.Forward(x), [.. shapes.Select((shape, i) => Input(shape, 17 * i + op.Length, low, high))]);
    }

    [Theory]
    [InlineData("Add")]
    [InlineData("Sub")]
    [InlineData("Mul")]
    [InlineData("Div")]
    [InlineData("Max")]
    [InlineData("Min")]
    [InlineData("Sum")]
    [InlineData("Mean")]
    public void Binary_and_variadic_arithmetic_broadcasts_its_gradient(string op)
    {
        if (op is "Max" or "Min")
        {
            var module = Graph([[2, 3], [3]], [Node(op, ["x0", "x1"])]);
            Check(x => module.Forward(x), [Distinct([2, 3], 1), Distinct([3], 2)]);
            return;
        }
        Check1(op, [[2, 3], [3]], 0.5f, 2f);
    }

    [Fact]
    public void Pow_MatMul_Gemm_and_Where_are_differentiable()
    {
        Check1("Pow", [[2, 3], [3]], 0.5f, 2f);
        Check1("MatMul", [[2, 3, 4], [4, 5]]);
        Check1("MatMul", [[3], [3, 2]]);
        Check1("Gemm", [[3, 4], [5, 4], [5]], attributes: [OnnxAttribute.Of("transB", 1L), OnnxAttribute.Of("alpha", 0.5f), OnnxAttribute.Of("beta", 2f)]);
        Check1("Gemm", [[4, 3], [4, 5], [1, 5]], attributes: [OnnxAttribute.Of("transA", 1L)]);
        var where = Graph([[2, 3], [2, 3]], [
            new OnnxNode { OpType = "Greater", Inputs = ["x0", "x1"], Outputs = ["mask"] },
            Node("Where", ["mask", "x0", "x1"])]);
        Check(x => where.Forward(x), [Distinct([2, 3], 3), Distinct([2, 3], 4)]);
    }

    [Theory]
    [InlineData("Abs", -2f, 2f)]
    [InlineData("Neg", -2f, 2f)]
    [InlineData("Exp", -2f, 2f)]
    [InlineData("Log", 0.5f, 3f)]
    [InlineData("Sqrt", 0.5f, 3f)]
    [InlineData("Reciprocal", 0.5f, 3f)]
    [InlineData("Sin", -2f, 2f)]
    [InlineData("Cos", -2f, 2f)]
    [InlineData("Erf", -2f, 2f)]
    [InlineData("Relu", -2f, 2f)]
    [InlineData("Sigmoid", -4f, 4f)]
    [InlineData("Tanh", -3f, 3f)]
    [InlineData("Softplus", -4f, 4f)]
    [InlineData("Softsign", -3f, 3f)]
    [InlineData("LeakyRelu", -2f, 2f)]
    [InlineData("Elu", -2f, 2f)]
    [InlineData("Selu", -2f, 2f)]
    [InlineData("Celu", -2f, 2f)]
    [InlineData("HardSigmoid", -1.5f, 1.5f)]
    [InlineData("HardSwish", -2.5f, 2.5f)]
    [InlineData("ThresholdedRelu", 1.2f, 3f)]
    [InlineData("Identity", -2f, 2f)]
    public void Element_wise_functions_are_differentiable(string op, float low, float high)
    {
        var module = Graph([[3, 4]], [Node(op, ["x0"])]);
        var x = op is "Abs" or "Relu" or "LeakyRelu" or "Elu" or "Selu" or "Celu" ? AwayFromZero([3, 4], 5) : Input([3, 4], 5, low, high);
        Check(x => module.Forward(x), [x]);
    }

    [Fact]
    public void PRelu_and_Clip_are_differentiable_away_from_their_kinks()
    {
        var prelu = Graph([[2, 3, 4], [3, 1]], [Node("PRelu", ["x0", "x1"])]);
        Check(x => prelu.Forward(x), [AwayFromZero([2, 3, 4], 6), Input([3, 1], 7)]);
        var clip = Graph([[3, 4]], [new OnnxNode { OpType = "Constant", Outputs = ["lo"], Attributes = [OnnxAttribute.Of("value_float", -0.55f)] },
            Node("Clip", ["x0", "lo", ""])]);
        Check(x => clip.Forward(x), [Distinct([3, 4], 8)]);
    }

    [Theory]
    [InlineData("Softmax", 17, -1)]
    [InlineData("Softmax", 11, 1)]
    [InlineData("LogSoftmax", 17, 1)]
    [InlineData("LogSoftmax", 11, 2)]
    public void Softmax_and_LogSoftmax_are_differentiable_at_every_opset(string op, int opset, long axis) =>
        Check1(op, [[2, 3, 4]], attributes: [OnnxAttribute.Of("axis", axis)], opset: opset);

    [Theory]
    [InlineData("ReduceSum")]
    [InlineData("ReduceMean")]
    [InlineData("ReduceMax")]
    [InlineData("ReduceMin")]
    [InlineData("ReduceProd")]
    [InlineData("ReduceSumSquare")]
    [InlineData("ReduceL1")]
    [InlineData("ReduceL2")]
    [InlineData("ReduceLogSum")]
    [InlineData("ReduceLogSumExp")]
    public void Reductions_are_differentiable(string op)
    {
        var module = op == "ReduceSum"
            ? Graph([[2, 3, 4]], [Node(op, ["x0", "axes"], OnnxAttribute.Of("keepdims", 0L))], [("axes", [0, -1])])
            : Graph([[2, 3, 4]], [Node(op, ["x0"], OnnxAttribute.Of("axes", [0L, 2L]), OnnxAttribute.Of("keepdims", 0L))]);
        var x = op is "ReduceMax" or "ReduceMin" ? Distinct([2, 3, 4], 9) : op is "ReduceL1" or "ReduceLogSum" ? Input([2, 3, 4], 9, 0.5f, 2f) : Input([2, 3, 4], 9);
        Check(x => module.Forward(x), [x]);
    }

    [Fact]
    public void Shape_operators_move_the_gradient_with_the_values()
    {
        Check1("Reshape", [[2, 3, 4]], constants: [("shape", [0, -1, 2])]);
        Check1("Flatten", [[2, 3, 4]], attributes: [OnnxAttribute.Of("axis", 2L)]);
        Check1("Transpose", [[2, 3, 4]], attributes: [OnnxAttribute.Of("perm", [2L, 0L, 1L])]);
        Check1("Squeeze", [[2, 1, 4]], constants: [("axes", [1])]);
        Check1("Unsqueeze", [[2, 4]], constants: [("axes", [0, -1])]);
        Check1("Concat", [[2, 3], [2, 1], [2, 2]], attributes: [OnnxAttribute.Of("axis", -1L)]);
        Check1("Slice", [[4, 5]], constants: [("starts", [3, 1]), ("ends", [0, 100]), ("axes", [0, 1]), ("steps", [-1, 2])]);
        Check1("Gather", [[4, 3]], constants: [("indices", [3, 0, 3, -2])]);
        Check1("Expand", [[3, 1]], constants: [("shape", [2, 3, 4])]);
        Check1("Tile", [[2, 3]], constants: [("repeats", [2, 2])]);
        var gather = Graph([[3, 4]], [
            new OnnxNode { OpType = "Reshape", Inputs = ["flat", "shape"], Outputs = ["indices"] },
            Node("GatherElements", ["x0", "indices"], OnnxAttribute.Of("axis", 1L))], [("flat", [0, 3, -1, 1, 1, 2, 0, 0, 3, 2, 1, 0]), ("shape", [3, 4])]);
        Check(x => gather.Forward(x), [Input([3, 4], 30)]);
        Check1("Trilu", [[2, 3, 4]], constants: [("k", [1])]);
        var mod = Graph([[2, 3], [3]], [Node("Mod", ["x0", "x1"], OnnxAttribute.Of("fmod", 1L))]);
        Check(x => mod.Forward(x), [Distinct([2, 3], 26), Input([3], 27, 0.31f, 0.33f)]); // x/y stays 0.2 or more from a whole number
        var split = Graph([[2, 6]], [
            new OnnxNode { OpType = "Split", Inputs = ["x0", "sizes"], Outputs = ["a", "b"], Attributes = [OnnxAttribute.Of("axis", 1L)] },
            Node("Concat", ["b", "a"], OnnxAttribute.Of("axis", 0L))], [("sizes", [3, 3])]);
        Check(x => split.Forward(x), [Input([2, 6], 10)]);
        var cast = Graph([[2, 3]], [Node("Cast", ["x0"], OnnxAttribute.Of("to", (long)OnnxDataType.Float))]);
        Check(x => cast.Forward(x), [Input([2, 3], 11)]);
    }

    private static OnnxAttribute Ints(string name, params long[] values) => OnnxAttribute.Of(name, values);

    /// <summary>Conv and ConvTranspose on Neurite's 1-D and 2-D kernels and, in 3-D, as windows times weights; one-sided padding, strides, dilations, groups.</summary>
    [Fact]
    public void Convolutions_are_differentiable()
    {
        Check1("Conv", [[2, 2, 5, 4], [3, 2, 3, 2], [3]], attributes: [Ints("pads", 1, 0, 0, 1), Ints("strides", 2, 1), Ints("dilations", 1, 2)]);
        Check1("Conv", [[2, 4, 6], [2, 2, 3]], attributes: [OnnxAttribute.Of("group", 2L), OnnxAttribute.Of("auto_pad", "SAME_LOWER")]);
        Check1("Conv", [[1, 2, 3, 4, 3], [2, 1, 2, 2, 2], [2]], attributes: [OnnxAttribute.Of("group", 2L), Ints("pads", 0, 1, 1, 1, 0, 0), Ints("strides", 1, 2, 1)]);
        Check1("ConvTranspose", [[2, 4, 3, 3], [4, 1, 3, 2], [2]],
            attributes: [OnnxAttribute.Of("group", 2L), Ints("strides", 2, 1), Ints("pads", 1, 0, 0, 1), Ints("output_padding", 1, 0)]);
        Check1("ConvTranspose", [[1, 2, 3], [2, 3, 2]], attributes: [Ints("output_shape", 9), Ints("strides", 3)]);
        Check1("ConvTranspose", [[1, 1, 2, 2, 2], [1, 2, 2, 1, 2]], attributes: [Ints("dilations", 2, 1, 1)]);
    }

    /// <summary>
    /// MaxPool and AveragePool on Neurite's 2-D kernels and on picked windows (1-D, 3-D, dilations, ceil mode,
    /// one-sided padding, count_include_pad 0), the global pools, and Pad in its three modes.
    /// </summary>
    [Fact]
    public void Pooling_and_Pad_are_differentiable()
    {
        (int[] Shape, OnnxAttribute[] Attributes)[] maxPools =
        [
            ([2, 2, 4, 4], [Ints("kernel_shape", 2, 2), Ints("strides", 2, 2)]),
            ([1, 2, 5, 6], [Ints("kernel_shape", 2, 3), Ints("pads", 1, 0, 0, 1), Ints("dilations", 2, 1), OnnxAttribute.Of("ceil_mode", 1L)]),
            ([2, 2, 7], [Ints("kernel_shape", 3), Ints("strides", 2), OnnxAttribute.Of("auto_pad", "SAME_UPPER")]),
            ([1, 1, 3, 4, 3], [Ints("kernel_shape", 2, 2, 2), Ints("strides", 1, 2, 1)]),
        ];
        foreach (var (shape, attributes) in maxPools)
        {
            var module = Graph([shape], [Node("MaxPool", ["x0"], attributes)]);
            Check(x => module.Forward(x), [Distinct(shape, shape.Length)]);
        }
        Check1("AveragePool", [[2, 2, 5, 5]], attributes: [Ints("kernel_shape", 3, 3), Ints("strides", 2, 2), Ints("pads", 1, 1, 1, 1), OnnxAttribute.Of("count_include_pad", 1L)]);
        Check1("AveragePool", [[1, 2, 5, 6]], attributes: [Ints("kernel_shape", 3, 2), Ints("strides", 2, 2), Ints("pads", 1, 0, 0, 0), OnnxAttribute.Of("ceil_mode", 1L)]);
        Check1("AveragePool", [[1, 2, 3, 4, 3]], attributes: [Ints("kernel_shape", 2, 3, 2), Ints("pads", 1, 1, 0, 0, 1, 1)]);
        Check1("GlobalAveragePool", [[2, 3, 2, 3]]);
        var globalMax = Graph([[2, 3, 4]], [Node("GlobalMaxPool", ["x0"])]);
        Check(x => globalMax.Forward(x), [Distinct([2, 3, 4], 31)]);
        Check1("Pad", [[2, 3, 4]], constants: [("pads", [0, 1, -1, 1, 2, 2])]);
        foreach (string mode in new[] { "reflect", "edge" })
        {
            Check1("Pad", [[2, 3, 4]], attributes: [OnnxAttribute.Of("mode", mode)], constants: [("pads", [0, 2, 3, 0, 1, 2])]);
        }
    }

    [Theory]
    [InlineData("NegativeLogLikelihoodLoss", "mean")]
    [InlineData("NegativeLogLikelihoodLoss", "none")]
    [InlineData("SoftmaxCrossEntropyLoss", "sum")]
    [InlineData("SoftmaxCrossEntropyLoss", "mean")]
    public void Losses_are_differentiable_with_weights_and_an_ignored_class(string op, string reduction)
    {
        // Scores [N=3, C=4, d=2], classes [3, 2] with class 1 ignored, weights [4].
        var module = new OnnxGraphModule(new OnnxModel
        {
            IrVersion = 8,
            Opsets = [new OnnxOpset("", 17)],
            Graph = new OnnxGraph
            {
                Nodes = [Node(op, ["x0", "target", "x1"], OnnxAttribute.Of("reduction", reduction), OnnxAttribute.Of("ignore_index", 1L))],
                Inputs = [new OnnxValueInfo { Name = "x0", ElementType = OnnxDataType.Float, Shape = [3L, 4L, 2L] }, new OnnxValueInfo { Name = "x1", ElementType = OnnxDataType.Float, Shape = [4L] }],
                Initializers = [OnnxTensor.Of("target", [3, 2], new long[] { 0, 1, 3, 2, 1, 0 })],
                Outputs = [new OnnxValueInfo { Name = "y", ElementType = OnnxDataType.Float }],
            },
        }, "loss.onnx", new Generator(0));
        Check(x => module.Forward(x), [Input([3, 4, 2], 28), Input([4], 29, 0.5f, 2f)]);
    }

    [Fact]
    public void Normalizations_are_differentiable_in_inference_and_in_training()
    {
        var batchNorm = Graph([[4, 3, 2], [3], [3], [3], [3]], [Node("BatchNormalization", ["x0", "x1", "x2", "x3", "x4"], OnnxAttribute.Of("epsilon", 0.01f))]);
        batchNorm.Eval();
        Check(x => batchNorm.Forward(x), [Input([4, 3, 2], 12), Input([3], 13), Input([3], 14), Input([3], 15), Input([3], 16, 0.5f, 2f)]);
        var training = Graph([[4, 3, 2], [3], [3], [3], [3]], [new OnnxNode
        {
            OpType = "BatchNormalization",
            Inputs = ["x0", "x1", "x2", "x3", "x4"],
            Outputs = ["y", "mean", "var"],
            Attributes = [OnnxAttribute.Of("training_mode", 1L)],
        }]);
        var (mean, variance) = (Input([3], 19), Input([3], 20, 0.5f, 2f));
        mean.RequiresGrad = variance.RequiresGrad = false;
        Check(x => training.Forward(x), [Input([4, 3, 2], 17), Input([3], 18), Input([3], 21), mean, variance]);
        var layerNorm = Graph([[2, 3, 4], [3, 4], [4]], [Node("LayerNormalization", ["x0", "x1", "x2"], OnnxAttribute.Of("axis", -2L))]);
        Check(x => layerNorm.Forward(x), [Input([2, 3, 4], 22), Input([3, 4], 23), Input([4], 24)]);
        var dropout = Graph([[3, 4]], [Node("Dropout", ["x0"])]);
        dropout.Eval();
        Check(x => dropout.Forward(x), [Input([3, 4], 25)]);
    }

    /// <summary>
    /// RNN, GRU and LSTM: Y, Y_h (and Y_c) joined in one output, by X, W, R, B, the initial states and the LSTM's
    /// peepholes; both layouts, every direction, sequence_lens, GRU's linear_before_reset 0 and 1.
    /// </summary>
    [Theory]
    [InlineData("LSTM", "forward", 0, 0L, true)]
    [InlineData("LSTM", "bidirectional", 1, 0L, false)]
    [InlineData("GRU", "bidirectional", 0, 0L, false)]
    [InlineData("GRU", "reverse", 1, 1L, true)]
    [InlineData("RNN", "bidirectional", 0, 0L, true)]
    public void Recurrent_operators_are_differentiable(string op, string direction, int layout, long linearBeforeReset, bool lengths)
    {
        int gates = op switch { "LSTM" => 4, "GRU" => 3, _ => 1 };
        int d = direction == "bidirectional" ? 2 : 1, steps = 3, batch = 2, features = 2, hidden = 3;
        int[] state = layout == 0 ? [d, batch, hidden] : [batch, d, hidden];
        List<int[]> shapes = [layout == 0 ? [steps, batch, features] : [batch, steps, features], [d, gates * hidden, features], [d, gates * hidden, hidden], [d, 2 * gates * hidden], state];
        List<string> inputs = ["x0", "x1", "x2", "x3", lengths ? "lens" : "", "x4"];
        string[] outputs = op == "LSTM" ? ["Y", "Y_h", "Y_c"] : ["Y", "Y_h"];
        if (op == "LSTM")
        {
            shapes.AddRange([state, [d, 3 * hidden]]);
            inputs.AddRange(["x5", "x6"]);
        }
        var attributes = new List<OnnxAttribute> { OnnxAttribute.Of("hidden_size", (long)hidden), OnnxAttribute.Of("direction", direction), OnnxAttribute.Of("layout", (long)layout) };
        if (op == "GRU")
        {
            attributes.Add(OnnxAttribute.Of("linear_before_reset", linearBeforeReset));
        }
        // Y_h and Y_c gain Y's step axis (0, or 1 with layout 1) and follow Y's steps.
        OnnxNode[] nodes =
        [
            new OnnxNode { OpType = op, Inputs = [.. inputs], Outputs = outputs, Attributes = [.. attributes] },
            .. outputs.Skip(1).Select(output => new OnnxNode { OpType = "Unsqueeze", Inputs = [output, "axes"], Outputs = [output + "_step"] }),
            Node("Concat", ["Y", .. outputs.Skip(1).Select(output => output + "_step")], OnnxAttribute.Of("axis", (long)layout)),
        ];
        var module = Graph([.. shapes], nodes, lengths ? [("lens", [3, 2]), ("axes", [layout])] : [("axes", [layout])]);
        Check(x => module.Forward(x), [.. shapes.Select((shape, i) => Input(shape, 40 + i))]);
    }
}
