using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

namespace Neurite.Tests.Optim;

public class ScheduleTests
{
    public static TheoryData<string, string, string> InvalidArguments => new()
    {
        { "step size 0", "stepSize", "StepLR: stepSize must be a positive integer; got 0." },
        { "step gamma -1", "gamma", "StepLR: gamma must be positive and finite; got -1." },
        { "multistep empty", "milestones", "MultiStepLR: milestones must name at least one step." },
        { "multistep 0", "milestones", "MultiStepLR: milestones must be positive; got 0." },
        { "exponential NaN", "gamma", "ExponentialLR: gamma must be positive and finite; got NaN." },
        { "cosine tMax 0", "tMax", "CosineAnnealingLR: tMax must be a positive integer; got 0." },
        { "cosine etaMin -1", "etaMin", "CosineAnnealingLR: etaMin must be finite and non-negative; got -1." },
        { "restarts tMult 0", "tMult", "CosineAnnealingWarmRestarts: tMult must be an integer ≥ 1; got 0." },
        { "warmup factor 0", "startFactor", "LinearWarmup: startFactor must be in (0, 1]; got 0." },
        { "one cycle pct 1", "pctStart", "OneCycleLR: pctStart must be in (0, 1); got 1." },
        { "plateau factor 1", "Factor", "ReduceLROnPlateau: Factor must be in (0, 1); got 1." },
        { "plateau patience -1", "Patience", "ReduceLROnPlateau: Patience must be non-negative; got -1." },
        { "clip norm -1", "maxNorm", "Gradient clipping: maxNorm must be finite and non-negative; got -1." },
        { "clip norm type 0", "normType", "Gradient clipping: normType must be positive (or infinity); got 0." },
        { "clip value NaN", "clipValue", "Gradient clipping: clipValue must be finite and non-negative; got NaN." },
    };

    [Theory]
    [MemberData(nameof(InvalidArguments))]
    public void An_invalid_hyperparameter_is_named_with_its_value(string which, string parameter, string message)
    {
        var p = new Parameter(Tensor.Zeros([2]));
        var sgd = new SGD([p], new SGDOptions(0.1));
        Action build = which switch
        {
            "step size 0" => () => _ = new StepLR(0),
            "step gamma -1" => () => _ = new StepLR(3, -1),
            "multistep empty" => () => _ = new MultiStepLR([]),
            "multistep 0" => () => _ = new MultiStepLR([3, 0]),
            "exponential NaN" => () => _ = new ExponentialLR(double.NaN),
            "cosine tMax 0" => () => _ = new CosineAnnealingLR(0),
            "cosine etaMin -1" => () => _ = new CosineAnnealingLR(10, -1),
            "restarts tMult 0" => () => _ = new CosineAnnealingWarmRestarts(5, 0),
            "warmup factor 0" => () => _ = new LinearWarmup(0, 5),
            "one cycle pct 1" => () => _ = new OneCycleLR(100, pctStart: 1),
            "plateau factor 1" => () => _ = new ReduceLROnPlateau(sgd, new PlateauOptions(Factor: 1)),
            "plateau patience -1" => () => _ = new ReduceLROnPlateau(sgd, new PlateauOptions(Patience: -1)),
            "clip norm -1" => () => GradientClipping.ClipGradNorm([p], -1),
            "clip norm type 0" => () => GradientClipping.ClipGradNorm([p], 1, 0),
            "clip value NaN" => () => GradientClipping.ClipGradValue([p], double.NaN),
            _ => throw new ArgumentException(which),
        };
        var e = Assert.Throws<ArgumentException>(build);
        Assert.Equal(parameter, e.ParamName);
        Assert.StartsWith(message, e.Message);
    }

    [Fact]
    public void One_cycle_refuses_to_step_past_its_total()
    {
        var schedule = new OneCycleLR(10);
        Assert.Equal(0.1 / 25 / 1e4, schedule.At(9, 0.1), 15);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => schedule.At(11, 0.1));
        Assert.Contains("tried to step 11 times; the schedule has 10 total steps", e.Message);
    }

    [Fact]
    public void Warm_restarts_restart_exactly_on_their_steps()
    {
        // Periods 3, 6, 12: restarts at steps 3, 9 and 21, where the rate is the base rate again.
        var schedule = new CosineAnnealingWarmRestarts(3, 2);
        foreach (int restart in new[] { 0, 3, 9, 21 })
        {
            Assert.Equal(1.0, schedule.At(restart, 1.0));
            Assert.True(schedule.At(restart - 1 < 0 ? 1 : restart - 1, 1.0) < 1.0);
        }
    }

    [Fact]
    public void Warmup_without_a_following_schedule_holds_the_base_rate()
    {
        var warmup = new LinearWarmup(0.5, 4);
        Assert.Equal([0.5, 0.625, 0.75, 0.875, 1.0, 1.0], Enumerable.Range(0, 6).Select(t => warmup.At(t, 1.0)));
    }

    [Fact]
    public void Clipping_by_norm_leaves_small_gradients_unchanged_and_reports_their_norm()
    {
        var p = new Parameter(Tensor.Zeros([2])) { Grad = Tensor.From([3f, 4f]) };
        Assert.Equal(5.0, GradientClipping.ClipGradNorm([p], 10), 6);
        Assert.Equal([3f, 4f], p.Grad!.ToArray());
        Assert.Equal(5.0, GradientClipping.ClipGradNorm([p], 1), 6);
        Assert.Equal(1.0, Math.Sqrt(p.Grad!.ToArray().Sum(v => v * v)), 5);
    }
}
