using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>The mean over the time axis: [N, T, D] → [N, D] (x.mean(dim=1)).</summary>
public sealed class MeanPool : Module
{
    /// <exception cref="ArgumentException">x is not [N, T, D].</exception>
    public override Tensor Forward(Tensor x) => Ops.Mean(Sequences.Check(x, "MeanPool"), 1);

    public override string Describe() => "MeanPool(dim=1)";
}

/// <summary>The last time step: [N, T, D] → [N, D] (x[:, -1]).</summary>
public sealed class LastStep : Module
{
    /// <exception cref="ArgumentException">x is not [N, T, D].</exception>
    public override Tensor Forward(Tensor x) => Ops.Select(Sequences.Check(x, "LastStep"), 1, -1);

    public override string Describe() => "LastStep()";
}

/// <summary>Repeats a vector over a new time axis, as Keras's RepeatVector: [N, D] → [N, times, D].</summary>
public sealed class RepeatVector : Module
{
    public RepeatVector(int times)
    {
        if (times < 1)
        {
            throw new ArgumentException($"RepeatVector: times must be >= 1; got {times}.", nameof(times));
        }
        Times = times;
    }

    public int Times { get; }

    /// <exception cref="ArgumentException">x is not [N, D].</exception>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 2)
        {
            throw new ArgumentException($"{Describe()}: expected input [batch, features], got {Shapes.Format(x.Shape)}.");
        }
        return Ops.BroadcastTo(Ops.Unsqueeze(x, 1), [x.Shape[0], Times, x.Shape[1]]);
    }

    public override string Describe() => $"RepeatVector({Times})";
}

internal static class Sequences
{
    /// <summary>x itself when it is a batch of sequences [N, T, D] with T ≥ 1.</summary>
    public static Tensor Check(Tensor x, string module) =>
        x.Rank == 3 && x.Shape[1] >= 1
            ? x
            : throw new ArgumentException($"{module}: expected input [batch, steps, features] with at least one step, got {Shapes.Format(x.Shape)}.");
}
