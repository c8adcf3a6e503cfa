using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>How a loss combines its per-element values.</summary>
public enum Reduction
{
    /// <summary>The mean (the default, as PyTorch).</summary>
    Mean,

    /// <summary>The sum.</summary>
    Sum,

    /// <summary>No reduction: one value per element (per sample for the cross-entropies).</summary>
    None,
}

/// <summary>
/// Loss functions with PyTorch's definitions and defaults (torch.nn.functional): each compares a
/// prediction with a target and reduces by mean unless told otherwise. They are composed from
/// differentiable ops, so their gradients need no code of their own.
/// </summary>
public static class Losses
{
    /// <summary>Mean squared error: (p − t)².</summary>
    public static Tensor Mse(Tensor prediction, Tensor target, Reduction reduction = Reduction.Mean)
    {
        var difference = Ops.Sub(prediction, SameShape(target, prediction, nameof(Mse)));
        return Reduce(Ops.Mul(difference, difference), reduction);
    }

    /// <summary>Mean absolute error: |p − t|.</summary>
    public static Tensor L1(Tensor prediction, Tensor target, Reduction reduction = Reduction.Mean) =>
        Reduce(Ops.Abs(Ops.Sub(prediction, SameShape(target, prediction, nameof(L1)))), reduction);

    /// <summary>Huber: ½d² where |d| &lt; δ, else δ(|d| − ½δ), with d = p − t (δ = 1 by default).</summary>
    public static Tensor Huber(Tensor prediction, Tensor target, float delta = 1f, Reduction reduction = Reduction.Mean)
    {
        CheckPositive(delta, nameof(delta), nameof(Huber));
        var d = Ops.Abs(Ops.Sub(prediction, SameShape(target, prediction, nameof(Huber))));
        var quadratic = Ops.Mul(Ops.Mul(d, d), 0.5f);
        var linear = Ops.Mul(Ops.Add(d, -0.5f * delta), delta);
        return Reduce(Ops.Where(Ops.Less(d, Tensor.Scalar(delta)), quadratic, linear), reduction);
    }

    /// <summary>Smooth L1: ½d²/β where |d| &lt; β, else |d| − ½β (β = 1 by default); Huber divided by β.</summary>
    public static Tensor SmoothL1(Tensor prediction, Tensor target, float beta = 1f, Reduction reduction = Reduction.Mean)
    {
        CheckPositive(beta, nameof(beta), nameof(SmoothL1));
        var d = Ops.Abs(Ops.Sub(prediction, SameShape(target, prediction, nameof(SmoothL1))));
        var quadratic = Ops.Mul(Ops.Mul(d, d), 0.5f / beta);
        var linear = Ops.Add(d, -0.5f * beta);
        return Reduce(Ops.Where(Ops.Less(d, Tensor.Scalar(beta)), quadratic, linear), reduction);
    }

    /// <summary>
    /// Binary cross-entropy on probabilities: −(t·ln p + (1 − t)·ln(1 − p)), each log clamped at
    /// −100 as PyTorch does, so that p = 0 or 1 gives a large finite loss rather than infinity.
    /// </summary>
    public static Tensor BinaryCrossEntropy(Tensor probability, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape(target, probability, nameof(BinaryCrossEntropy));
        var logP = Ops.Clamp(Ops.Log(probability), min: -100f);
        var logNotP = Ops.Clamp(Ops.Log(Ops.Sub(Tensor.Scalar(1f), probability)), min: -100f);
        var likelihood = Ops.Add(Ops.Mul(target, logP), Ops.Mul(Ops.Sub(Tensor.Scalar(1f), target), logNotP));
        return Reduce(Ops.Neg(likelihood), reduction);
    }

    /// <summary>
    /// Binary cross-entropy on logits, stable for any z: max(z, 0) − z·t + ln(1 + e^(−|z|)), which
    /// equals −(t·ln σ(z) + (1 − t)·ln(1 − σ(z))) without evaluating σ.
    /// </summary>
    public static Tensor BinaryCrossEntropyWithLogits(Tensor logits, Tensor target, Reduction reduction = Reduction.Mean)
    {
        SameShape(target, logits, nameof(BinaryCrossEntropyWithLogits));
        var softplusOfMinusAbs = Ops.Log(Ops.Add(Ops.Exp(Ops.Neg(Ops.Abs(logits))), 1f));
        var loss = Ops.Add(Ops.Sub(Ops.Relu(logits), Ops.Mul(logits, target)), softplusOfMinusAbs);
        return Reduce(loss, reduction);
    }

    /// <summary>
    /// Negative log-likelihood of class indices under log-probabilities [N, C]: −logp[n, yₙ].
    /// <paramref name="classes"/> holds N whole numbers in [0, C).
    /// </summary>
    public static Tensor NllLoss(Tensor logProbabilities, Tensor classes, Reduction reduction = Reduction.Mean)
    {
        CheckClassTargets(logProbabilities, classes, nameof(NllLoss));
        var picked = Ops.Gather(logProbabilities, 1, Ops.Unsqueeze(classes, 1));
        return Reduce(Ops.Neg(Ops.Squeeze(picked, 1)), reduction);
    }

    /// <summary>
    /// Cross-entropy of logits [N, C] against class indices [N]: −log softmax(z)[n, yₙ]. With label
    /// smoothing ε the target is (1 − ε)·onehot + ε/C, so the loss is
    /// (1 − ε)·nll + ε·mean_c(−log softmax(z)[n, c]), as torch.nn.functional.cross_entropy.
    /// </summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor classes, float labelSmoothing = 0f, Reduction reduction = Reduction.Mean)
    {
        CheckClassTargets(logits, classes, nameof(CrossEntropy));
        CheckSmoothing(labelSmoothing);
        var logP = Ops.LogSoftmax(logits, 1);
        var nll = Ops.Neg(Ops.Squeeze(Ops.Gather(logP, 1, Ops.Unsqueeze(classes, 1)), 1));
        if (labelSmoothing == 0)
        {
            return Reduce(nll, reduction);
        }
        var uniform = Ops.Neg(Ops.Mean(logP, 1));
        return Reduce(Ops.Add(Ops.Mul(nll, 1f - labelSmoothing), Ops.Mul(uniform, labelSmoothing)), reduction);
    }

    /// <summary>
    /// Negative log-likelihood of integer class indices: −logp[n, yₙ], as torch.nn.functional.nll_loss. Takes
    /// log-probabilities [N, C] with classes [N], or [N, C, d₁, …] with classes [N, d₁, …] (one class per position,
    /// the class axis second); the mean is over all N·d₁·… targets. For [B, T, C] scores, reshape them to [B·T, C]
    /// and the targets to [B·T] (both free views).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit, or a class index is outside [0, C) (the message
    /// names the index and its position).</exception>
    public static Tensor NllLoss(Tensor logProbabilities, IntTensor classes, Reduction reduction = Reduction.Mean)
    {
        CheckClassIndices(logProbabilities, classes, nameof(NllLoss));
        return Reduce(PickedNegLog(logProbabilities, classes), reduction);
    }

    /// <summary>
    /// Cross-entropy of logits against integer class indices: −log softmax(z)[n, yₙ] over the class axis 1, as
    /// torch.nn.functional.cross_entropy. Takes logits [N, C] with classes [N], or [N, C, d₁, …] with classes
    /// [N, d₁, …]; the mean is over all N·d₁·… targets. With label smoothing ε the loss is
    /// (1 − ε)·nll + ε·mean_c(−log softmax(z)[n, c]). For [B, T, C] logits, reshape them to [B·T, C] and the
    /// targets to [B·T] (both free views).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit, ε is outside [0, 1], or a class index is outside
    /// [0, C) (the message names the index and its position).</exception>
    public static Tensor CrossEntropy(Tensor logits, IntTensor classes, float labelSmoothing = 0f, Reduction reduction = Reduction.Mean)
    {
        CheckSmoothing(labelSmoothing);
        CheckClassIndices(logits, classes, nameof(CrossEntropy));
        var logP = Ops.LogSoftmax(logits, 1);
        var nll = PickedNegLog(logP, classes);
        if (labelSmoothing == 0)
        {
            return Reduce(nll, reduction);
        }
        var uniform = Ops.Neg(Ops.Mean(logP, 1));
        return Reduce(Ops.Add(Ops.Mul(nll, 1f - labelSmoothing), Ops.Mul(uniform, labelSmoothing)), reduction);
    }

    /// <summary>−scores[n, yₙ, d…] along the class axis 1, for checked classes: shape [N, d₁, …].</summary>
    private static Tensor PickedNegLog(Tensor scores, IntTensor classes)
    {
        var index = classes.Reshape([classes.Shape[0], 1, .. classes.Shape[1..]]);
        return Ops.Neg(Ops.Squeeze(Ops.Gather(scores, 1, index), 1));
    }

    private static void CheckClassIndices(Tensor scores, IntTensor classes, string loss)
    {
        bool fits = scores.Rank >= 2 && classes.Rank == scores.Rank - 1 && classes.Shape[0] == scores.Shape[0]
            && classes.Shape[1..].SequenceEqual(scores.Shape[2..]);
        if (!fits)
        {
            throw new ArgumentException(
                $"{loss}: expected scores [N, C] with class indices [N], or [N, C, d1, ...] with [N, d1, ...]; got {Shapes.Format(scores.Shape)} and {Shapes.Format(classes.Shape)}.");
        }
        int numClasses = scores.Shape[1];
        var values = classes.Data;
        for (int i = 0; i < values.Length; i++)
        {
            if ((uint)values[i] >= (uint)numClasses)
            {
                throw new ArgumentException(
                    $"{loss}: target {values[i]} at position {Shapes.FormatPosition(classes.Shape, i)} is not a class index in [0, {numClasses}).");
            }
        }
    }

    /// <summary>
    /// Cross-entropy of logits [N, C] against class probabilities [N, C]: −Σ_c t_c·log softmax(z)_c,
    /// with label smoothing applied to the target as (1 − ε)·t + ε/C.
    /// </summary>
    public static Tensor CrossEntropyWithProbabilities(Tensor logits, Tensor probabilities, float labelSmoothing = 0f, Reduction reduction = Reduction.Mean)
    {
        if (logits.Rank != 2 || !Shapes.SameShape(logits.Shape, probabilities.Shape))
        {
            throw new ArgumentException(
                $"CrossEntropyWithProbabilities: expected logits [N, C] and probabilities of the same shape; got {Shapes.Format(logits.Shape)} and {Shapes.Format(probabilities.Shape)}.");
        }
        CheckSmoothing(labelSmoothing);
        var target = labelSmoothing == 0
            ? probabilities
            : Ops.Add(Ops.Mul(probabilities, 1f - labelSmoothing), labelSmoothing / logits.Shape[1]);
        var loss = Ops.Neg(Ops.Sum(Ops.Mul(target, Ops.LogSoftmax(logits, 1)), 1));
        return Reduce(loss, reduction);
    }

    private static Tensor Reduce(Tensor values, Reduction reduction) => reduction switch
    {
        Reduction.Mean => Ops.Mean(values),
        Reduction.Sum => Ops.Sum(values),
        Reduction.None => values,
        _ => throw new ArgumentOutOfRangeException(nameof(reduction), $"Unknown reduction {reduction}."),
    };

    private static Tensor SameShape(Tensor target, Tensor prediction, string loss)
    {
        if (!Shapes.SameShape(target.Shape, prediction.Shape))
        {
            throw new ArgumentException(
                $"{loss}: prediction {Shapes.Format(prediction.Shape)} and target {Shapes.Format(target.Shape)} must have the same shape.");
        }
        return target;
    }

    private static void CheckClassTargets(Tensor scores, Tensor classes, string loss)
    {
        if (scores.Rank != 2 || classes.Rank != 1 || classes.Shape[0] != scores.Shape[0])
        {
            throw new ArgumentException(
                $"{loss}: expected scores [N, C] and class indices [N]; got {Shapes.Format(scores.Shape)} and {Shapes.Format(classes.Shape)}.");
        }
        int numClasses = scores.Shape[1];
        var values = classes.Data;
        for (int i = 0; i < values.Length; i++)
        {
            if (values[i] != MathF.Floor(values[i]) || values[i] < 0 || values[i] >= numClasses)
            {
                throw new ArgumentException($"{loss}: target {values[i]} at position {i} is not a class index in [0, {numClasses}).");
            }
        }
    }

    private static void CheckSmoothing(float labelSmoothing)
    {
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1))
        {
            throw new ArgumentException($"labelSmoothing must be in [0, 1]; got {labelSmoothing}.", nameof(labelSmoothing));
        }
    }

    private static void CheckPositive(float value, string name, string loss)
    {
        if (!(value > 0) || !float.IsFinite(value))
        {
            throw new ArgumentException($"{loss}: {name} must be finite and > 0; got {value}.", name);
        }
    }
}
