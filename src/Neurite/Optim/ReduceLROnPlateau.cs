using System.Globalization;

namespace Neurite.Optim;

/// <summary>Whether a smaller or a larger metric is better.</summary>
public enum PlateauMode
{
    /// <summary>Smaller is better (a loss).</summary>
    Min,

    /// <summary>Larger is better (an accuracy).</summary>
    Max,
}

/// <summary>How <see cref="ReduceLROnPlateau"/> decides that a metric improved on the best so far.</summary>
public enum ThresholdMode
{
    /// <summary>By a fraction of the best: best·(1 ∓ threshold).</summary>
    Rel,

    /// <summary>By an absolute amount: best ∓ threshold.</summary>
    Abs,
}

/// <summary>Hyperparameters of <see cref="ReduceLROnPlateau"/>: the names and defaults of PyTorch's.</summary>
/// <param name="Mode">Whether the metric should fall (Min) or rise (Max).</param>
/// <param name="Factor">The rate is multiplied by this on a plateau (default 0.1), in (0, 1).</param>
/// <param name="Patience">Epochs without improvement tolerated before reducing (default 10).</param>
/// <param name="Threshold">The least change that counts as an improvement (default 1e-4).</param>
/// <param name="ThresholdMode">Whether <paramref name="Threshold"/> is relative or absolute.</param>
/// <param name="Cooldown">Epochs to wait after a reduction before counting again (default 0).</param>
/// <param name="MinLr">The lowest rate of every group (default 0); see <see cref="ReduceLROnPlateau"/> for one per group.</param>
/// <param name="Eps">A reduction smaller than this is skipped (default 1e-8).</param>
public sealed record PlateauOptions(
    PlateauMode Mode = PlateauMode.Min, double Factor = 0.1, int Patience = 10, double Threshold = 1e-4,
    ThresholdMode ThresholdMode = ThresholdMode.Rel, int Cooldown = 0, double MinLr = 0, double Eps = 1e-8);

/// <summary>The mutable part of a <see cref="ReduceLROnPlateau"/>, for checkpoints.</summary>
/// <param name="Best">The best metric so far (±∞ before the first).</param>
/// <param name="BadEpochs">Epochs since the best, outside cooldown.</param>
/// <param name="CooldownLeft">Epochs of cooldown still to wait.</param>
/// <param name="Epochs">How many metrics have been seen.</param>
public readonly record struct PlateauState(double Best, int BadEpochs, int CooldownLeft, long Epochs);

/// <summary>
/// ReduceLROnPlateau, as PyTorch 1.13: after each epoch's metric, if it has not improved on the
/// best for more than Patience epochs, every group's rate is multiplied by Factor (not below its
/// minimum), and counting pauses for Cooldown epochs. Unlike the other schedules it depends on
/// the metrics seen, so its state is saved with <see cref="State"/> and restored with <see cref="Resume"/>.
/// </summary>
public sealed class ReduceLROnPlateau
{
    private readonly Optimizer _optimizer;
    private readonly double[] _minLrs;

    /// <param name="optimizer">The optimizer whose group rates to reduce.</param>
    /// <param name="options">Hyperparameters; PyTorch's defaults when null.</param>
    /// <param name="minLrs">A minimum rate per group, overriding <see cref="PlateauOptions.MinLr"/>.</param>
    public ReduceLROnPlateau(Optimizer optimizer, PlateauOptions? options = null, IReadOnlyList<double>? minLrs = null)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        _optimizer = optimizer;
        Options = options ?? new PlateauOptions();
        Validate(Options);
        int groups = optimizer.ParamGroups.Count;
        if (minLrs is not null && minLrs.Count != groups)
        {
            throw new ArgumentException(
                $"ReduceLROnPlateau: expected {groups} min_lr values, one per parameter group; got {minLrs.Count}.", nameof(minLrs));
        }
        _minLrs = minLrs is null ? [.. Enumerable.Repeat(Options.MinLr, groups)] : [.. minLrs];
        if (_minLrs.Any(lr => !(lr >= 0)))
        {
            throw new ArgumentException("ReduceLROnPlateau: every min_lr must be non-negative.", nameof(minLrs));
        }
        State = new PlateauState(Worst, 0, 0, 0);
    }

    public PlateauOptions Options { get; }

    /// <summary>The best metric, the bad-epoch and cooldown counters, and the epoch count.</summary>
    public PlateauState State { get; private set; }

    /// <summary>Takes one epoch's metric and reduces the rates on a plateau; true when it reduced any.</summary>
    /// <exception cref="ArgumentException">The metric is NaN.</exception>
    public bool Step(double metric)
    {
        if (double.IsNaN(metric))
        {
            throw new ArgumentException("ReduceLROnPlateau: the metric is NaN.", nameof(metric));
        }
        var (best, bad, cooldown, epochs) = State;
        if (IsBetter(metric, best))
        {
            (best, bad) = (metric, 0);
        }
        else
        {
            bad++;
        }
        if (cooldown > 0)
        {
            cooldown--;
            bad = 0;
        }
        bool reduced = false;
        if (bad > Options.Patience)
        {
            reduced = Reduce();
            (cooldown, bad) = (Options.Cooldown, 0);
        }
        State = new PlateauState(best, bad, cooldown, epochs + 1);
        return reduced;
    }

    /// <summary>Continues from a saved state.</summary>
    public void Resume(PlateauState state)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(state.BadEpochs);
        ArgumentOutOfRangeException.ThrowIfNegative(state.CooldownLeft);
        State = state;
    }

    private double Worst => Options.Mode == PlateauMode.Min ? double.PositiveInfinity : double.NegativeInfinity;

    private bool IsBetter(double metric, double best) => (Options.Mode, Options.ThresholdMode) switch
    {
        (PlateauMode.Min, ThresholdMode.Rel) => metric < best * (1 - Options.Threshold),
        (PlateauMode.Min, ThresholdMode.Abs) => metric < best - Options.Threshold,
        (PlateauMode.Max, ThresholdMode.Rel) => metric > best * (Options.Threshold + 1),
        _ => metric > best + Options.Threshold,
    };

    private bool Reduce()
    {
        bool any = false;
        var groups = _optimizer.ParamGroups;
        for (int i = 0; i < groups.Count; i++)
        {
            double old = groups[i].Lr;
            double reduced = Math.Max(old * Options.Factor, _minLrs[i]);
            if (old - reduced > Options.Eps)
            {
                groups[i].Lr = reduced;
                any = true;
            }
        }
        return any;
    }

    private static void Validate(PlateauOptions o)
    {
        if (!(o.Factor > 0 && o.Factor < 1))
        {
            throw Invalid(nameof(o.Factor), o.Factor, "in (0, 1)");
        }
        if (o.Patience < 0)
        {
            throw Invalid(nameof(o.Patience), o.Patience, "non-negative");
        }
        if (!(o.Threshold >= 0 && double.IsFinite(o.Threshold)))
        {
            throw Invalid(nameof(o.Threshold), o.Threshold, "finite and non-negative");
        }
        if (o.Cooldown < 0)
        {
            throw Invalid(nameof(o.Cooldown), o.Cooldown, "non-negative");
        }
        if (!(o.MinLr >= 0))
        {
            throw Invalid(nameof(o.MinLr), o.MinLr, "non-negative");
        }
        if (!(o.Eps >= 0))
        {
            throw Invalid(nameof(o.Eps), o.Eps, "non-negative");
        }
    }

    private static ArgumentException Invalid(string name, double value, string what) =>
        new($"ReduceLROnPlateau: {name} must be {what}; got {value.ToString(CultureInfo.InvariantCulture)}.", name);
}
