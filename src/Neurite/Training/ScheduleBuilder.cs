using Neurite.Optim;
using Neurite.Serialization;

namespace Neurite.Training;

/// <summary>
/// Builds the spec's schedule. <c>warmup</c> and <c>one_cycle</c> count optimizer steps (and step
/// after every batch); the others count epochs (and step after every epoch), as they are usually
/// written in PyTorch. <c>reduce_on_plateau</c> watches the validation loss (the training loss
/// without held-out data).
/// </summary>
public static class ScheduleBuilder
{
    public static (LRScheduler? Scheduler, ScheduleInterval Interval, ReduceLROnPlateau? Plateau) Build(
        ScheduleSpec? spec, Optimizer optimizer, int epochs, int batchesPerEpoch)
    {
        switch (spec)
        {
            case null:
                return (null, ScheduleInterval.Epoch, null);
            case ReduceOnPlateauScheduleSpec p:
                var options = new PlateauOptions(
                    p.Mode == "max" ? PlateauMode.Max : PlateauMode.Min, p.Factor, p.Patience, p.Threshold,
                    p.ThresholdMode == "abs" ? ThresholdMode.Abs : ThresholdMode.Rel, p.Cooldown, p.MinLr, p.Eps);
                return (null, ScheduleInterval.Epoch, new ReduceLROnPlateau(optimizer, options));
            case OneCycleScheduleSpec c:
                if (c.MaxLr is { } maxLr)
                {
                    foreach (var group in optimizer.ParamGroups)
                    {
                        group.Lr = maxLr;
                    }
                }
                var cycle = new OneCycleLR(c.TotalSteps ?? epochs * batchesPerEpoch, c.PctStart,
                    c.AnnealStrategy == "linear" ? AnnealStrategy.Linear : AnnealStrategy.Cos, c.DivFactor, c.FinalDivFactor, c.ThreePhase,
                    c.CycleMomentum, c.BaseMomentum, c.MaxMomentum);
                return (new LRScheduler(optimizer, cycle), ScheduleInterval.Step, null);
            case WarmupScheduleSpec:
                return (new LRScheduler(optimizer, Schedule(spec)), ScheduleInterval.Step, null);
            default:
                return (new LRScheduler(optimizer, Schedule(spec)), ScheduleInterval.Epoch, null);
        }
    }

    private static LRSchedule Schedule(ScheduleSpec spec) => spec switch
    {
        StepScheduleSpec s => new StepLR(s.StepSize, s.Gamma),
        MultiStepScheduleSpec m => new MultiStepLR(m.Milestones, m.Gamma),
        ExponentialScheduleSpec e => new ExponentialLR(e.Gamma),
        CosineScheduleSpec c => new CosineAnnealingLR(c.TMax, c.EtaMin),
        WarmRestartsScheduleSpec w => new CosineAnnealingWarmRestarts(w.T0, w.TMult, w.EtaMin),
        WarmupScheduleSpec w => new LinearWarmup(w.StartFactor, w.WarmupSteps, w.Inner is null ? null : Schedule(w.Inner)),
        _ => throw new ArgumentException($"schedule: a {spec.Type} schedule cannot follow a warmup"),
    };
}
