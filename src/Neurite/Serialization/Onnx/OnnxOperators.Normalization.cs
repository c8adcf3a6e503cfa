using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>BatchNormalization, LayerNormalization and Dropout, in inference and in training.</summary>
internal static partial class OnnxOperators
{
    private static IEnumerable<OnnxOperator> Normalization() =>
    [
        new("BatchNormalization", BatchNormalization, ["epsilon", "momentum", "training_mode", "spatial", "is_test", "consumed_inputs"], StaticInputs: [3, 4]),
        new("LayerNormalization", LayerNormalization, ["axis", "epsilon", "stash_type"]),
        new("Dropout", Dropout, ["ratio", "is_test", "seed"], StaticInputs: [1, 2]),
    ];

    /// <summary>
    /// y = (x − μ)/√(σ² + ε)·scale + B per channel (axis 1). On the running statistics (inputs 3 and 4) in inference.
    /// The node's own training mode (training_mode from opset 14; before it, asking for more than one output) uses
    /// the batch's μ and biased σ² and outputs the updated running statistics, ONNX's way:
    /// running·momentum + batch·(1 − momentum). A module in training mode (fine-tuning an imported graph) does as
    /// torch.nn.BatchNorm does: the batch statistics, and the running ones updated in place with PyTorch's momentum
    /// (1 − ONNX's) and the unbiased variance.
    /// </summary>
    private static OnnxValue[] BatchNormalization(OnnxNodeContext node)
    {
        var x = node.Float(0);
        var (scale, bias, mean, variance) = (node.Float(1), node.Float(2), node.Float(3), node.Float(4));
        if (node.Opset < 9 && node.Int("spatial", 1) != 1)
        {
            throw node.Error("spatial=0 (statistics per element rather than per channel) is not supported");
        }
        if (x.Rank < 2)
        {
            throw node.Error($"input 0 is [{string.Join(", ", x.ShapeArray)}]; BatchNormalization takes [N, C, …]");
        }
        float epsilon = node.Float("epsilon", 1e-5f), momentum = node.Float("momentum", 0.9f);
        bool nodeTraining = node.Opset >= 14 ? node.Int("training_mode", 0) != 0 : node.OutputCount > 1;
        int channels = x.Shape[1];
        int[] channelShape = [1, channels, .. Enumerable.Repeat(1, x.Rank - 2)];
        int[] axes = [0, .. Enumerable.Range(2, x.Rank - 2)];
        Tensor useMean, useVariance;
        var outputs = new List<OnnxValue>();
        if (nodeTraining || node.Training)
        {
            useMean = Ops.Mean(x, axes, keepDims: true);
            useVariance = Ops.Variance(x, axes, correction: 0, keepDims: true);
            var batchMean = Ops.Reshape(useMean.Detach(), [channels]);
            var batchVariance = Ops.Reshape(useVariance.Detach(), [channels]);
            if (nodeTraining)
            {
                outputs.Add(OnnxValue.Of(Ops.Add(Ops.Mul(mean.Detach(), momentum), Ops.Mul(batchMean, 1 - momentum))));
                outputs.Add(OnnxValue.Of(Ops.Add(Ops.Mul(variance.Detach(), momentum), Ops.Mul(batchVariance, 1 - momentum))));
                outputs.Add(OnnxValue.Of(batchMean));
                outputs.Add(OnnxValue.Of(batchVariance));
            }
            else
            {
                int count = x.Count / channels;
                float unbiased = count > 1 ? count / (count - 1f) : 1f;
                var runningMean = mean.Data;
                var runningVariance = variance.Data;
                for (int c = 0; c < channels; c++)
                {
                    runningMean[c] = momentum * runningMean[c] + (1 - momentum) * batchMean.Data[c];
                    runningVariance[c] = momentum * runningVariance[c] + (1 - momentum) * batchVariance.Data[c] * unbiased;
                }
            }
        }
        else
        {
            useMean = Ops.Reshape(mean, channelShape);
            useVariance = Ops.Reshape(variance, channelShape);
        }
        var normalized = Ops.Div(Ops.Sub(x, useMean), Ops.Sqrt(Ops.Add(useVariance, epsilon)));
        var y = Ops.Add(Ops.Mul(normalized, Ops.Reshape(scale, channelShape)), Ops.Reshape(bias, channelShape));
        return [OnnxValue.Of(y), .. outputs];
    }

    /// <summary>y = (x − μ)/√(σ² + ε)·scale + B over the axes from <c>axis</c> on; also the mean and 1/√(σ² + ε), shaped with those axes kept.</summary>
    private static OnnxValue[] LayerNormalization(OnnxNodeContext node)
    {
        var x = node.Float(0);
        int axis = Axis(node, node.Int("axis", -1), x.Rank);
        int[] axes = [.. Enumerable.Range(axis, x.Rank - axis)];
        var mean = Ops.Mean(x, axes, keepDims: true);
        var inverse = Ops.Div(Tensor.Scalar(1f), Ops.Sqrt(Ops.Add(Ops.Variance(x, axes, correction: 0, keepDims: true), node.Float("epsilon", 1e-5f))));
        var y = Ops.Mul(Ops.Mul(Ops.Sub(x, mean), inverse), node.Float(1));
        if (node.Optional(2) is not null)
        {
            y = Ops.Add(y, node.Float(2));
        }
        return [OnnxValue.Of(y), OnnxValue.Of(mean), OnnxValue.Of(inverse)];
    }

    /// <summary>
    /// The identity, with a mask of ones, in inference. In training (the node's training_mode input from opset 12,
    /// is_test = 0 before opset 7, or a module in training mode) each element is zeroed with probability ratio and
    /// the rest scaled by 1/(1 − ratio), the mask drawn from the module's generator.
    /// </summary>
    private static OnnxValue[] Dropout(OnnxNodeContext node)
    {
        var x = node.Float(0);
        double ratio = node.Opset >= 12 ? node.Scalar(1) ?? 0.5 : node.Float("ratio", 0.5f);
        bool training = node.Training || (node.Opset >= 12 ? node.Scalar(2) is { } mode && mode != 0 : node.Opset < 7 && node.Int("is_test", 0) == 0);
        if (ratio is < 0 or > 1)
        {
            throw node.Error($"ratio {Text(ratio)} is not a probability");
        }
        if (!training || ratio == 0)
        {
            return [OnnxValue.Of(x), OnnxValue.Of(OnnxDataType.Bool, [.. Enumerable.Repeat(1L, x.Count)], x.ShapeArray)];
        }
        var mask = Tensor.Bernoulli(x.Shape, (float)(1 - ratio), node.Rng);
        var y = ratio == 1 ? Ops.Mul(x, 0f) : Ops.Mul(x, Ops.Mul(mask, (float)(1 / (1 - ratio))));
        return [OnnxValue.Of(y), OnnxValue.Of(OnnxDataType.Bool, [.. mask.ToArray().Select(m => (long)m)], x.ShapeArray)];
    }
}
