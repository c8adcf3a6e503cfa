namespace Neurite.Optim;

/// <summary>
/// Applies an <see cref="LRSchedule"/> to an optimizer's groups (PyTorch's scheduler.step()): it
/// remembers each group's base rate when built, sets the step-0 rate at once, and after each
/// <see cref="Step"/> sets lr = schedule.At(step, base) in every group — and the momentum (or Adam's β₁)
/// too, for a schedule that cycles it (<see cref="LRSchedule.MomentumAt"/>). Call it after
/// optimizer.Step(), once per step or once per epoch, as the schedule was designed for.
/// </summary>
public sealed class LRScheduler
{
    private readonly Optimizer _optimizer;
    private readonly double[] _baseLrs;

    public LRScheduler(Optimizer optimizer, LRSchedule schedule)
    {
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(schedule);
        _optimizer = optimizer;
        Schedule = schedule;
        _baseLrs = [.. optimizer.ParamGroups.Select(group => group.Lr)];
        if (schedule.MomentumAt(0) is { } momentum && optimizer.ParamGroups.Any(group => group.Options.WithMomentum(momentum) is null))
        {
            // PyTorch's OneCycleLR: "optimizer must support momentum with `cycle_momentum` option enabled".
            throw new ArgumentException(
                $"{schedule.GetType().Name}: cycling the momentum needs an optimizer with a momentum or betas (SGD, RMSprop, Adam, AdamW); "
                + $"{optimizer.GetType().Name} has neither: turn cycle_momentum off", nameof(schedule));
        }
        Apply();
    }

    public LRSchedule Schedule { get; }

    /// <summary>The rate of each group when the scheduler was built (for OneCycleLR, the peak).</summary>
    public IReadOnlyList<double> BaseLrs => _baseLrs;

    /// <summary>How many times <see cref="Step"/> has run (or the step resumed from).</summary>
    public long StepCount { get; private set; }

    /// <summary>Moves to the next step and sets every group's rate.</summary>
    public void Step()
    {
        StepCount++;
        Apply();
    }

    /// <summary>Continues from a saved step count: the rates become those of that step.</summary>
    public void Resume(long stepCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(stepCount);
        StepCount = stepCount;
        Apply();
    }

    private void Apply()
    {
        var groups = _optimizer.ParamGroups;
        double? momentum = Schedule.MomentumAt(StepCount);
        for (int i = 0; i < groups.Count; i++)
        {
            var options = groups[i].Options with { Lr = Schedule.At(StepCount, _baseLrs[i]) };
            groups[i].Options = momentum is { } m ? options.WithMomentum(m)! : options;
        }
    }
}
