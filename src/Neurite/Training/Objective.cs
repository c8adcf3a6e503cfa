using Neurite.Autograd;
using Neurite.Data;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Training;

/// <summary>What the network's outputs are, which decides how they become classes and probabilities.</summary>
public enum OutputKind
{
    /// <summary>Unnormalized scores: softmax (or, for one output, the sigmoid) gives probabilities.</summary>
    Logits,

    /// <summary>Probabilities already (a sigmoid output trained with binary cross-entropy).</summary>
    Probabilities,

    /// <summary>Log-probabilities (a log-softmax output trained with negative log-likelihood).</summary>
    LogProbabilities,

    /// <summary>Real values (regression).</summary>
    Values,
}

/// <summary>
/// A loss by its spec name, with what it implies: the task, how to read the outputs, and how the
/// targets a <see cref="Dataset"/> holds ([B] class indices or [B, k] values) meet the outputs.
/// </summary>
/// <remarks>
/// cross_entropy and nll also take one class per step: batch-first outputs [B, T, C] with targets [B, T], the mean
/// over all B·T steps (PyTorch's CrossEntropyLoss on the outputs transposed to [B, C, T]).
/// </remarks>
public sealed class Objective
{
    private readonly Func<Tensor, Tensor, Tensor> _loss;

    private Objective(string name, TaskKind task, OutputKind output, Func<Tensor, Tensor, Tensor> loss)
    {
        (Name, Task, Output, _loss) = (name, task, output, loss);
    }

    /// <summary>The spec names of the losses: mse, l1, huber, smooth_l1, bce, bce_with_logits, cross_entropy, nll.</summary>
    public static IReadOnlyList<string> Names { get; } = ["mse", "l1", "huber", "smooth_l1", "bce", "bce_with_logits", "cross_entropy", "nll"];

    /// <summary>The spec name of the loss.</summary>
    public string Name { get; }

    public TaskKind Task { get; }

    public OutputKind Output { get; }

    /// <summary>The objective a spec names; <paramref name="labelSmoothing"/> applies to cross_entropy,
    /// <paramref name="delta"/> to huber (δ) and smooth_l1 (β). With <paramref name="sumPerSample"/> an element-wise loss
    /// is summed over each sample's values and averaged over the batch instead of averaged over every value.</summary>
    /// <exception cref="ArgumentException">The name is not one of <see cref="Names"/>, or sumPerSample is asked of a class-index loss.</exception>
    public static Objective FromName(string name, float labelSmoothing = 0, float delta = 1, bool sumPerSample = false)
    {
        var objective = Create(name, labelSmoothing, delta);
        if (!sumPerSample)
        {
            return objective;
        }
        if (name is "cross_entropy" or "nll")
        {
            throw new ArgumentException($"Objective {name}: takes class indices; summing per sample is for element-wise losses.", nameof(sumPerSample));
        }
        // The mean over all B·P values times P, the values per sample, is the per-sample sum averaged over the batch.
        return new(name, objective.Task, objective.Output, (y, t) => Ops.Mul(objective._loss(y, t), y.Count / (float)y.Shape[0]));
    }

    private static Objective Create(string name, float labelSmoothing, float delta) => name switch
    {
        "mse" => new(name, TaskKind.Regression, OutputKind.Values, (y, t) => Losses.Mse(y, t)),
        "l1" => new(name, TaskKind.Regression, OutputKind.Values, (y, t) => Losses.L1(y, t)),
        "huber" => new(name, TaskKind.Regression, OutputKind.Values, (y, t) => Losses.Huber(y, t, delta)),
        "smooth_l1" => new(name, TaskKind.Regression, OutputKind.Values, (y, t) => Losses.SmoothL1(y, t, delta)),
        "bce" => new(name, TaskKind.Classification, OutputKind.Probabilities, (p, t) => Losses.BinaryCrossEntropy(p, AsColumn(t))),
        "bce_with_logits" => new(name, TaskKind.Classification, OutputKind.Logits, (z, t) => Losses.BinaryCrossEntropyWithLogits(z, AsColumn(t))),
        "cross_entropy" => new(name, TaskKind.Classification, OutputKind.Logits,
            (z, t) => OverSteps(z, t, name, (rows, classes) => Losses.CrossEntropy(rows, classes, labelSmoothing))),
        "nll" => new(name, TaskKind.Classification, OutputKind.LogProbabilities, (z, t) => OverSteps(z, t, name, (rows, classes) => Losses.NllLoss(rows, classes))),
        _ => throw new ArgumentException($"unknown loss \"{name}\"; known: {string.Join(", ", Names)}", nameof(name)),
    };

    /// <summary>The mean loss of a batch, differentiable.</summary>
    public Tensor Loss(Tensor outputs, Tensor targets) => _loss(outputs, targets);

    /// <summary>
    /// Class probabilities [B, C]: softmax of logits, exp of log-probabilities; a single output
    /// (binary) becomes the two columns [1 − p, p].
    /// </summary>
    public Tensor Probabilities(Tensor outputs)
    {
        if (Task != TaskKind.Classification)
        {
            throw new InvalidOperationException($"Objective {Name}: a regression has no class probabilities.");
        }
        if (outputs.Rank != 2)
        {
            throw new ArgumentException($"Objective {Name}: expected outputs [batch, classes]; got [{string.Join(", ", outputs.Shape.ToArray())}].");
        }
        if (outputs.Shape[1] == 1)
        {
            var p = Output == OutputKind.Logits ? Ops.Sigmoid(outputs) : outputs;
            return Ops.Concat([1f - p, p], 1);
        }
        return Output switch
        {
            OutputKind.Logits => Ops.Softmax(outputs, 1),
            OutputKind.LogProbabilities => Ops.Exp(outputs),
            _ => outputs,
        };
    }

    /// <summary>
    /// The predicted class of each row (each step of [B, T, C] outputs, row-major): the arg-max over the last axis, or
    /// for one output p ≥ ½ (logit ≥ 0).
    /// </summary>
    public int[] Classes(Tensor outputs)
    {
        int width = outputs.Rank >= 2 ? outputs.Shape[^1] : 1, rows = outputs.Count / Math.Max(width, 1);
        var values = outputs.Data;
        var classes = new int[rows];
        for (int i = 0; i < rows; i++)
        {
            var row = values.Slice(i * width, width);
            if (width == 1)
            {
                classes[i] = row[0] >= (Output == OutputKind.Logits ? 0f : 0.5f) ? 1 : 0;
            }
            else
            {
                int best = 0;
                for (int c = 1; c < width; c++)
                {
                    if (row[c] > row[best])
                    {
                        best = c;
                    }
                }
                classes[i] = best;
            }
        }
        return classes;
    }

    /// <summary>
    /// A class-index loss over outputs [B, T, C] and targets [B, T] (one class per step) as over the [B·T, C] rows and
    /// [B·T] classes (free views); other shapes go to the loss as they are.
    /// </summary>
    private static Tensor OverSteps(Tensor outputs, Tensor targets, string name, Func<Tensor, Tensor, Tensor> loss)
    {
        if (outputs.Rank != 3)
        {
            return loss(outputs, targets);
        }
        if (targets.Rank != 2 || targets.Shape[0] != outputs.Shape[0] || targets.Shape[1] != outputs.Shape[1])
        {
            throw new ArgumentException(
                $"{name}: outputs [batch, steps, classes] {Shapes.Format(outputs.Shape)} need targets [batch, steps] (one class per step); got {Shapes.Format(targets.Shape)}.");
        }
        return loss(Ops.Reshape(outputs, [-1, outputs.Shape[2]]), Ops.Reshape(targets, [-1]));
    }

    /// <summary>[B] targets as the [B, 1] column that a single-output binary loss compares with.</summary>
    private static Tensor AsColumn(Tensor targets) => targets.Rank == 1 ? Ops.Reshape(targets, [targets.Shape[0], 1]) : targets;
}
