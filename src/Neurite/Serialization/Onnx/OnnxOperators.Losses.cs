using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.Serialization;

/// <summary>NegativeLogLikelihoodLoss and SoftmaxCrossEntropyLoss, as torch.nn.NLLLoss and CrossEntropyLoss compute them.</summary>
internal static partial class OnnxOperators
{
    private static IEnumerable<OnnxOperator> Losses() =>
    [
        new("NegativeLogLikelihoodLoss", node => One(NllLoss(node, node.Float(0))), ["reduction", "ignore_index"], StaticInputs: [1]),
        new("SoftmaxCrossEntropyLoss", node =>
        {
            var logProbabilities = Ops.LogSoftmax(node.Float(0), 1);
            return [NllLoss(node, logProbabilities), OnnxValue.Of(logProbabilities)];
        }, ["reduction", "ignore_index"], StaticInputs: [1]),
    ];

    /// <summary>
    /// −input[n, target[n, d…], d…]·weight[target] per element ([N, C] or [N, C, d…] input, [N] or [N, d…] target),
    /// 0 where the target is ignore_index; reduced by "none", "sum", or "mean" (the sum over the sum of the weights).
    /// </summary>
    private static OnnxValue NllLoss(OnnxNodeContext node, Tensor input)
    {
        var target = node.Input(1);
        string reduction = node.String("reduction", "mean");
        if (reduction is not ("none" or "sum" or "mean"))
        {
            throw node.Error($"reduction \"{reduction}\" is not none, sum or mean");
        }
        int[] shape = input.ShapeArray;
        if (input.Rank < 2 || target.Type is not (OnnxDataType.Int64 or OnnxDataType.Int32)
            || !target.Shape.SequenceEqual([shape[0], .. shape[2..]]))
        {
            throw node.Error($"input [{string.Join(", ", shape)}] and target {target.Describe()}: the loss takes [N, C, d…] scores and [N, d…] integer classes");
        }
        int classes = shape[1], inner = shape[2..].Aggregate(1, (a, b) => a * b);
        long? ignore = node.Has("ignore_index") ? node.Int("ignore_index", 0) : null;
        var labels = target.Ints!;
        var kept = new float[labels.Length];
        var picks = new int[labels.Length];
        var classOf = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            long label = labels[i];
            if (label == ignore)
            {
                continue;
            }
            if (label < 0 || label >= classes)
            {
                throw node.Error($"class {label} is out of range for {classes} classes");
            }
            kept[i] = 1;
            classOf[i] = (int)label;
            int n = i / inner, d = i % inner;
            picks[i] = (n * classes + (int)label) * inner + d;
        }
        var mask = Tensor.From(kept, target.Shape);
        var weights = node.Optional(2) is not null
            ? Ops.Mul(Ops.Reshape(Ops.IndexSelect(node.Float(2), 0, classOf), target.Shape), mask)
            : mask;
        var picked = Ops.Reshape(Ops.IndexSelect(Ops.Reshape(input, [input.Count]), 0, picks), target.Shape);
        var losses = Ops.Neg(Ops.Mul(picked, weights));
        return OnnxValue.Of(reduction switch
        {
            "none" => losses,
            "sum" => Ops.Sum(losses),
            _ => Ops.Div(Ops.Sum(losses), Ops.Sum(weights)),
        });
    }
}
