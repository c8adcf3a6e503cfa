using System.Globalization;

namespace Neurite.Optim;

/// <summary>
/// A learning-rate schedule as a pure function: the rate of a parameter group after
/// <c>step</c> scheduler steps, given the group's base rate. <see cref="LRScheduler"/> applies
/// one to an optimizer; the same step always gives the same rate, so resuming needs only the step.
/// </summary>
/// <remarks>
/// PyTorch 1.13 computes most of these recursively (each rate from the previous one); these are
/// the closed forms of the same sequences, equal to PyTorch's rates within rounding (checked
/// step by step against fixtures from tests/reference/gen_optim.py).
/// </remarks>
public abstract class LRSchedule
{
    /// <summary>The learning rate after <paramref name="step"/> steps (0: before the first).</summary>
    public abstract double At(long step, double baseLr);

    /// <summary>
    /// The momentum (SGD's and RMSprop's momentum, Adam's β₁) after <paramref name="step"/> steps, for a schedule that
    /// cycles it as well (<see cref="OneCycleLR"/>); null, the default, leaves the optimizer's momentum alone.
    /// </summary>
    public virtual double? MomentumAt(long step) => null;

    /// <summary>Throws "{schedule}: {name} must be {what}; got {value}." unless the check holds.</summary>
    private protected static void Require(bool holds, string schedule, string name, string what, double value)
    {
        if (!holds)
        {
            throw new ArgumentException(
                $"{schedule}: {name} must be {what}; got {value.ToString(CultureInfo.InvariantCulture)}.", name);
        }
    }

    private protected static void RequireStep(long step)
    {
        if (step < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step, "A schedule's step cannot be negative.");
        }
    }
}

/// <summary>StepLR: the rate times γ every <c>stepSize</c> steps, lr = base·γ^⌊t / stepSize⌋.</summary>
public sealed class StepLR : LRSchedule
{
    public StepLR(int stepSize, double gamma = 0.1)
    {
        Require(stepSize > 0, nameof(StepLR), nameof(stepSize), "a positive integer", stepSize);
        Require(gamma > 0 && double.IsFinite(gamma), nameof(StepLR), nameof(gamma), "positive and finite", gamma);
        (StepSize, Gamma) = (stepSize, gamma);
    }

    public int StepSize { get; }

    public double Gamma { get; }

    public override double At(long step, double baseLr)
    {
        RequireStep(step);
        return baseLr * Math.Pow(Gamma, step / StepSize);
    }
}

/// <summary>MultiStepLR: the rate times γ at each milestone (a milestone listed twice counts twice).</summary>
public sealed class MultiStepLR : LRSchedule
{
    private readonly int[] _milestones;

    public MultiStepLR(IEnumerable<int> milestones, double gamma = 0.1)
    {
        _milestones = [.. milestones.Order()];
        if (_milestones.Length == 0)
        {
            throw new ArgumentException("MultiStepLR: milestones must name at least one step.", nameof(milestones));
        }
        Require(_milestones[0] > 0, nameof(MultiStepLR), nameof(milestones), "positive", _milestones[0]);
        Require(gamma > 0 && double.IsFinite(gamma), nameof(MultiStepLR), nameof(gamma), "positive and finite", gamma);
        Gamma = gamma;
    }

    public IReadOnlyList<int> Milestones => _milestones;

    public double Gamma { get; }

    public override double At(long step, double baseLr)
    {
        RequireStep(step);
        int passed = _milestones.Count(milestone => milestone <= step);
        return baseLr * Math.Pow(Gamma, passed);
    }
}

/// <summary>ExponentialLR: lr = base·γᵗ.</summary>
public sealed class ExponentialLR : LRSchedule
{
    public ExponentialLR(double gamma)
    {
        Require(gamma > 0 && double.IsFinite(gamma), nameof(ExponentialLR), nameof(gamma), "positive and finite", gamma);
        Gamma = gamma;
    }

    public double Gamma { get; }

    public override double At(long step, double baseLr)
    {
        RequireStep(step);
        return baseLr * Math.Pow(Gamma, step);
    }
}

/// <summary>
/// CosineAnnealingLR (Loshchilov and Hutter, "SGDR", ICLR 2017, eq. 5 without restarts):
/// lr = η_min + (base − η_min)·(1 + cos(π·t / T_max)) / 2. Past T_max the cosine goes on, rising
/// back to the base rate at 2·T_max, as PyTorch's does.
/// </summary>
public sealed class CosineAnnealingLR : LRSchedule
{
    public CosineAnnealingLR(int tMax, double etaMin = 0)
    {
        Require(tMax > 0, nameof(CosineAnnealingLR), nameof(tMax), "a positive integer", tMax);
        Require(etaMin >= 0 && double.IsFinite(etaMin), nameof(CosineAnnealingLR), nameof(etaMin), "finite and non-negative", etaMin);
        (TMax, EtaMin) = (tMax, etaMin);
    }

    public int TMax { get; }

    public double EtaMin { get; }

    public override double At(long step, double baseLr)
    {
        RequireStep(step);
        return Cosine(baseLr, EtaMin, step, TMax);
    }

    /// <summary>η_min + (base − η_min)·(1 + cos(π·t / period)) / 2.</summary>
    internal static double Cosine(double baseLr, double etaMin, long t, long period) =>
        etaMin + (baseLr - etaMin) * (1 + Math.Cos(Math.PI * t / period)) / 2;
}

/// <summary>
/// CosineAnnealingWarmRestarts (SGDR, Loshchilov and Hutter, ICLR 2017): cosine annealing over a
/// period T_i that restarts at the base rate when it ends; the first period is T_0 and each next
/// one is T_mult times longer.
/// </summary>
public sealed class CosineAnnealingWarmRestarts : LRSchedule
{
    public CosineAnnealingWarmRestarts(int t0, int tMult = 1, double etaMin = 0)
    {
        Require(t0 > 0, nameof(CosineAnnealingWarmRestarts), nameof(t0), "a positive integer", t0);
        Require(tMult >= 1, nameof(CosineAnnealingWarmRestarts), nameof(tMult), "an integer ≥ 1", tMult);
        Require(etaMin >= 0 && double.IsFinite(etaMin), nameof(CosineAnnealingWarmRestarts), nameof(etaMin), "finite and non-negative", etaMin);
        (T0, TMult, EtaMin) = (t0, tMult, etaMin);
    }

    public int T0 { get; }

    public int TMult { get; }

    public double EtaMin { get; }

    public override double At(long step, double baseLr)
    {
        RequireStep(step);
        // Walk the periods in integers (there are O(log t) of them when T_mult > 1), so that a
        // restart falls exactly on its step rather than where a floating-point log puts it.
        long position = step, period = T0;
        if (TMult == 1)
        {
            position %= period;
        }
        else
        {
            while (position >= period)
            {
                position -= period;
                period *= TMult;
            }
        }
        return CosineAnnealingLR.Cosine(baseLr, EtaMin, position, period);
    }
}

/// <summary>
/// Linear warmup composed with any schedule: over the first <c>warmupSteps</c> steps the rate rises
/// linearly from startFactor·base to base (PyTorch's LinearLR), then <c>then</c> runs from its own
/// step 0 (PyTorch's SequentialLR with a milestone at warmupSteps). Without <c>then</c>, the base rate.
/// </summary>
public sealed class LinearWarmup : LRSchedule
{
    public LinearWarmup(double startFactor, int warmupSteps, LRSchedule? then = null)
    {
        Require(startFactor > 0 && startFactor <= 1, nameof(LinearWarmup), nameof(startFactor), "in (0, 1]", startFactor);
        Require(warmupSteps > 0, nameof(LinearWarmup), nameof(warmupSteps), "a positive integer", warmupSteps);
        (StartFactor, WarmupSteps, Then) = (startFactor, warmupSteps, then);
    }

    public double StartFactor { get; }

    public int WarmupSteps { get; }

    /// <summary>The schedule after the warmup, or null for a constant rate.</summary>
    public LRSchedule? Then { get; }

    public override double At(long step, double baseLr)
    {
        RequireStep(step);
        if (step < WarmupSteps)
        {
            return baseLr * (StartFactor + (1 - StartFactor) * step / WarmupSteps);
        }
        return Then?.At(step - WarmupSteps, baseLr) ?? baseLr;
    }
}

/// <summary>How <see cref="OneCycleLR"/> moves between two rates.</summary>
public enum AnnealStrategy
{
    /// <summary>Half a cosine: end + (start − end)·(1 + cos(π·pct)) / 2.</summary>
    Cos,

    /// <summary>A straight line: start + (end − start)·pct.</summary>
    Linear,
}

/// <summary>
/// OneCycleLR (Smith and Topin, "Super-Convergence", 2018), as PyTorch 1.13 computes it: the base
/// rate is the peak (max_lr); the rate rises from max_lr / divFactor to max_lr over the first
/// pctStart of totalSteps, then falls to max_lr / (divFactor·finalDivFactor) — or, three-phase,
/// falls back to the start over as many steps and then to the minimum. Stepping past totalSteps
/// is an error, as in PyTorch. With <see cref="CycleMomentum"/> (PyTorch's default) the momentum
/// moves the other way, from maxMomentum down to baseMomentum while the rate rises and back up while
/// it falls (three-phase: back up, then staying at maxMomentum).
/// </summary>
public sealed class OneCycleLR : LRSchedule
{
    private readonly (double EndStep, Rate From, Rate To)[] _phases;

    /// <summary>The three rates a phase anneals between; the momentum anneals between their counterparts (<see cref="MomentumOf"/>).</summary>
    private enum Rate
    {
        Initial,
        Peak,
        Minimum,
    }

    public OneCycleLR(int totalSteps, double pctStart = 0.3, AnnealStrategy annealStrategy = AnnealStrategy.Cos,
        double divFactor = 25, double finalDivFactor = 1e4, bool threePhase = false,
        bool cycleMomentum = true, double baseMomentum = 0.85, double maxMomentum = 0.95)
    {
        Require(totalSteps > 0, nameof(OneCycleLR), nameof(totalSteps), "a positive integer", totalSteps);
        Require(pctStart > 0 && pctStart < 1, nameof(OneCycleLR), nameof(pctStart), "in (0, 1)", pctStart);
        Require(divFactor > 0 && double.IsFinite(divFactor), nameof(OneCycleLR), nameof(divFactor), "positive and finite", divFactor);
        Require(finalDivFactor > 0 && double.IsFinite(finalDivFactor), nameof(OneCycleLR), nameof(finalDivFactor), "positive and finite", finalDivFactor);
        Require(baseMomentum >= 0 && double.IsFinite(baseMomentum), nameof(OneCycleLR), nameof(baseMomentum), "non-negative and finite", baseMomentum);
        Require(maxMomentum >= 0 && double.IsFinite(maxMomentum), nameof(OneCycleLR), nameof(maxMomentum), "non-negative and finite", maxMomentum);
        (TotalSteps, PctStart, Strategy, DivFactor, FinalDivFactor, ThreePhase) =
            (totalSteps, pctStart, annealStrategy, divFactor, finalDivFactor, threePhase);
        (CycleMomentum, BaseMomentum, MaxMomentum) = (cycleMomentum, baseMomentum, maxMomentum);
        // PyTorch's phase table: each phase ends at a (fractional) step and anneals between two of
        // the initial, peak and minimum rates.
        _phases = threePhase
            ? [(pctStart * totalSteps - 1, Rate.Initial, Rate.Peak), (2 * pctStart * totalSteps - 2, Rate.Peak, Rate.Initial),
                (totalSteps - 1, Rate.Initial, Rate.Minimum)]
            : [(pctStart * totalSteps - 1, Rate.Initial, Rate.Peak), (totalSteps - 1, Rate.Peak, Rate.Minimum)];
    }

    public int TotalSteps { get; }

    public double PctStart { get; }

    public AnnealStrategy Strategy { get; }

    public double DivFactor { get; }

    public double FinalDivFactor { get; }

    public bool ThreePhase { get; }

    /// <summary>Whether the momentum cycles against the rate (PyTorch's cycle_momentum, default true).</summary>
    public bool CycleMomentum { get; }

    /// <summary>The momentum at the peak rate (default 0.85).</summary>
    public double BaseMomentum { get; }

    /// <summary>The momentum at the initial and the minimum rate (default 0.95).</summary>
    public double MaxMomentum { get; }

    /// <param name="step">The step, at most <see cref="TotalSteps"/>.</param>
    /// <param name="baseLr">The peak rate, max_lr.</param>
    public override double At(long step, double baseLr)
    {
        var (from, to, pct) = Phase(step);
        double initial = baseLr / DivFactor;
        double minimum = initial / FinalDivFactor;
        return Anneal(Value(from), Value(to), pct);

        double Value(Rate rate) => rate switch
        {
            Rate.Initial => initial,
            Rate.Peak => baseLr,
            _ => minimum,
        };
    }

    /// <summary>The momentum after <paramref name="step"/> steps when <see cref="CycleMomentum"/>, else null.</summary>
    public override double? MomentumAt(long step)
    {
        if (!CycleMomentum)
        {
            return null;
        }
        var (from, to, pct) = Phase(step);
        return Anneal(MomentumOf(from), MomentumOf(to), pct);
    }

    /// <summary>The momentum that goes with a rate: the least at the peak, the most at either end.</summary>
    private double MomentumOf(Rate rate) => rate == Rate.Peak ? BaseMomentum : MaxMomentum;

    /// <summary>The phase <paramref name="step"/> falls in (the first whose end is not behind it; the last takes every later step) and how far into it.</summary>
    private (Rate From, Rate To, double Pct) Phase(long step)
    {
        RequireStep(step);
        if (step > TotalSteps)
        {
            throw new ArgumentOutOfRangeException(nameof(step), step,
                $"OneCycleLR: tried to step {step} times; the schedule has {TotalSteps} total steps.");
        }
        int phase = 0;
        double start = 0;
        while (phase < _phases.Length - 1 && step > _phases[phase].EndStep)
        {
            start = _phases[phase].EndStep;
            phase++;
        }
        var (end, from, to) = _phases[phase];
        return (from, to, (step - start) / (end - start));
    }

    private double Anneal(double from, double to, double pct) => Strategy == AnnealStrategy.Cos
        ? to + (from - to) / 2 * (Math.Cos(Math.PI * pct) + 1)
        : (to - from) * pct + from;
}
