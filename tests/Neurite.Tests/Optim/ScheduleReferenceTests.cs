using System.Text.Json;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

namespace Neurite.Tests.Optim;

/// <summary>
/// Learning-rate schedules, ReduceLROnPlateau and gradient clipping, step by step against
/// PyTorch 1.13 (tests/reference/gen_optim.py writes the optim_schedules, optim_plateau and
/// optim_clip fixtures).
/// </summary>
public class ScheduleReferenceTests
{
    public static TheoryData<string, string> Schedules => Fixtures.Names("optim_schedules.json");

    public static TheoryData<string, string> Plateaus => Fixtures.Names("optim_plateau.json");

    public static TheoryData<string, string> Clips => Fixtures.Names("optim_clip.json");

    /// <summary>SGD over one parameter per group, with the fixture's base rates.</summary>
    private static SGD TwoGroups(JsonElement fixture)
    {
        var baseLrs = Fixtures.Doubles(fixture.GetProperty("base_lrs"));
        var defaults = new SGDOptions(1.0, Momentum: 0.9);
        return new SGD(
            baseLrs.Select(lr => new ParameterGroup([new Parameter(Tensor.Zeros([1]))], defaults with { Lr = lr })),
            defaults);
    }

    /// <summary>The schedule a fixture's description names, built with the fixture's hyperparameters.</summary>
    private static LRSchedule Build(JsonElement d) => Fixtures.String(d, "type") switch
    {
        "step" => new StepLR(Fixtures.Int(d, "step_size"), Fixtures.Double(d, "gamma")),
        "multi_step" => new MultiStepLR(Fixtures.Ints(d.GetProperty("milestones")), Fixtures.Double(d, "gamma")),
        "exponential" => new ExponentialLR(Fixtures.Double(d, "gamma")),
        "cosine" => new CosineAnnealingLR(Fixtures.Int(d, "t_max"), Fixtures.Double(d, "eta_min")),
        "warm_restarts" => new CosineAnnealingWarmRestarts(Fixtures.Int(d, "t_0"), Fixtures.Int(d, "t_mult"), Fixtures.Double(d, "eta_min")),
        "warmup" => new LinearWarmup(Fixtures.Double(d, "start_factor"), Fixtures.Int(d, "warmup_steps"), Build(d.GetProperty("inner"))),
        "one_cycle" => new OneCycleLR(
            Fixtures.Int(d, "total_steps"), Fixtures.Double(d, "pct_start"),
            Fixtures.String(d, "anneal_strategy") == "cos" ? AnnealStrategy.Cos : AnnealStrategy.Linear,
            Fixtures.Double(d, "div_factor"), Fixtures.Double(d, "final_div_factor"), Fixtures.Bool(d, "three_phase"),
            !d.TryGetProperty("cycle_momentum", out var cycle) || cycle.GetBoolean(),
            d.TryGetProperty("base_momentum", out var low) ? low.GetDouble() : 0.85,
            d.TryGetProperty("max_momentum", out var high) ? high.GetDouble() : 0.95),
        var type => throw new ArgumentException($"no schedule {type}"),
    };

    /// <summary>
    /// PyTorch computes most rates recursively, each from the one before; the closed forms agree
    /// to rounding, a few ulps of a double after tens of steps.
    /// </summary>
    private static void AssertRate(double expected, double actual, string where) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-12 + 1e-10 * Math.Abs(expected),
            $"{where}: expected {expected:R}, got {actual:R}");

    [Theory]
    [MemberData(nameof(Schedules))]
    public void Each_schedule_sets_the_rates_and_momenta_pytorch_sets(string file, string name)
    {
        var fixture = Fixtures.Case(file, name);
        var optimizer = TwoGroups(fixture);
        var scheduler = new LRScheduler(optimizer, Build(fixture.GetProperty("schedule")));
        var momenta = fixture.GetProperty("momenta").EnumerateArray().Select(Fixtures.Doubles).ToArray();
        int step = 0;
        foreach (var expected in fixture.GetProperty("lrs").EnumerateArray())
        {
            if (step > 0)
            {
                optimizer.Step();
                scheduler.Step();
            }
            var rates = Fixtures.Doubles(expected);
            for (int g = 0; g < rates.Length; g++)
            {
                AssertRate(rates[g], optimizer.ParamGroups[g].Lr, $"{name}, step {step}, group {g}");
                // OneCycleLR cycles the momentum (the SGD's 0.9 otherwise stays).
                AssertRate(momenta[step][g], ((SGDOptions)optimizer.ParamGroups[g].Options).Momentum, $"{name}, momentum at step {step}, group {g}");
            }
            step++;
        }
    }

    [Fact]
    public void One_cycle_cycles_adams_beta1_as_sgds_momentum_and_refuses_an_optimizer_with_neither()
    {
        var schedule = new OneCycleLR(50);
        var adam = new Adam([new Parameter(Tensor.Zeros([1]))], new AdamOptions(0.1, Beta2: 0.99));
        var scheduler = new LRScheduler(adam, schedule);
        for (int step = 0; step <= 50; step++)
        {
            var options = (AdamOptions)adam.ParamGroups[0].Options;
            Assert.Equal(schedule.MomentumAt(step), options.Beta1);
            Assert.Equal(0.99, options.Beta2);
            if (step < 50)
            {
                scheduler.Step();
            }
        }
        Assert.Equal(0.95, schedule.MomentumAt(0));
        Assert.Equal(0.85, schedule.MomentumAt(14)!.Value, 12); // the peak rate's step, 0.3 · 50 − 1
        Assert.Null(new OneCycleLR(50, cycleMomentum: false).MomentumAt(3));

        var adagrad = new Adagrad([new Parameter(Tensor.Zeros([1]))], new AdagradOptions(0.1));
        var e = Assert.Throws<ArgumentException>(() => new LRScheduler(adagrad, schedule));
        Assert.StartsWith("OneCycleLR: cycling the momentum needs an optimizer with a momentum or betas", e.Message);
        _ = new LRScheduler(adagrad, new OneCycleLR(50, cycleMomentum: false));
    }

    [Theory]
    [MemberData(nameof(Schedules))]
    public void A_resumed_scheduler_sets_the_rates_of_its_step(string file, string name)
    {
        var fixture = Fixtures.Case(file, name);
        var schedule = Build(fixture.GetProperty("schedule"));
        var straight = TwoGroups(fixture);
        var straightScheduler = new LRScheduler(straight, schedule);
        for (int i = 0; i < 17; i++)
        {
            straightScheduler.Step();
        }
        var resumed = TwoGroups(fixture);
        new LRScheduler(resumed, schedule).Resume(17);
        Assert.Equal(straight.ParamGroups.Select(g => g.Lr), resumed.ParamGroups.Select(g => g.Lr));
    }

    [Theory]
    [MemberData(nameof(Plateaus))]
    public void Reduce_on_plateau_reduces_when_pytorch_does(string file, string name)
    {
        var fixture = Fixtures.Case(file, name);
        var o = fixture.GetProperty("options");
        var defaults = new PlateauOptions();
        double[]? minLrs = null;
        double minLr = defaults.MinLr;
        if (o.TryGetProperty("min_lr", out var min))
        {
            if (min.ValueKind == JsonValueKind.Array)
            {
                minLrs = Fixtures.Doubles(min);
            }
            else
            {
                minLr = min.GetDouble();
            }
        }
        var options = new PlateauOptions(
            Fixtures.String(o, "mode") == "min" ? PlateauMode.Min : PlateauMode.Max,
            Fixtures.Double(o, "factor"),
            Fixtures.Int(o, "patience"),
            o.TryGetProperty("threshold", out var threshold) ? threshold.GetDouble() : defaults.Threshold,
            o.TryGetProperty("threshold_mode", out var mode) && mode.GetString() == "abs" ? ThresholdMode.Abs : ThresholdMode.Rel,
            o.TryGetProperty("cooldown", out var cooldown) ? cooldown.GetInt32() : defaults.Cooldown,
            minLr,
            o.TryGetProperty("eps", out var eps) ? eps.GetDouble() : defaults.Eps);
        var optimizer = TwoGroups(fixture);
        var plateau = new ReduceLROnPlateau(optimizer, options, minLrs);
        var metrics = Fixtures.Doubles(fixture.GetProperty("metrics"));
        var expected = fixture.GetProperty("lrs").EnumerateArray().Select(Fixtures.Doubles).ToArray();
        int reductions = 0;
        for (int epoch = 0; epoch < metrics.Length; epoch++)
        {
            double before = optimizer.ParamGroups[0].Lr;
            plateau.Step(metrics[epoch]);
            reductions += optimizer.ParamGroups[0].Lr != before ? 1 : 0;
            for (int g = 0; g < expected[epoch].Length; g++)
            {
                AssertRate(expected[epoch][g], optimizer.ParamGroups[g].Lr, $"{name}, epoch {epoch}, group {g}");
            }
        }
        // Each case is built to reduce at least once, so that the comparison covers a reduction.
        Assert.True(reductions > 0, $"{name}: no reduction happened");
        Assert.Equal(metrics.Length, plateau.State.Epochs);
    }

    [Fact]
    public void A_resumed_plateau_scheduler_continues_as_the_straight_one()
    {
        var fixture = Fixtures.Case("optim_plateau.json", "min_rel_threshold_cooldown");
        var metrics = Fixtures.Doubles(fixture.GetProperty("metrics"));
        var options = new PlateauOptions(Factor: 0.3, Patience: 1, Threshold: 1e-2, Cooldown: 3);
        var straight = TwoGroups(fixture);
        var straightPlateau = new ReduceLROnPlateau(straight, options);
        var first = TwoGroups(fixture);
        var firstPlateau = new ReduceLROnPlateau(first, options);
        for (int i = 0; i < 12; i++)
        {
            straightPlateau.Step(metrics[i]);
            firstPlateau.Step(metrics[i]);
        }
        var resumed = TwoGroups(fixture);
        for (int g = 0; g < 2; g++)
        {
            resumed.ParamGroups[g].Lr = first.ParamGroups[g].Lr;
        }
        var resumedPlateau = new ReduceLROnPlateau(resumed, options);
        resumedPlateau.Resume(firstPlateau.State);
        for (int i = 12; i < metrics.Length; i++)
        {
            straightPlateau.Step(metrics[i]);
            resumedPlateau.Step(metrics[i]);
            Assert.Equal(straight.ParamGroups.Select(g => g.Lr), resumed.ParamGroups.Select(g => g.Lr));
        }
        Assert.Equal(straightPlateau.State, resumedPlateau.State);
    }

    [Theory]
    [MemberData(nameof(Clips))]
    public void Clipping_scales_or_clamps_gradients_as_pytorch_does(string file, string name)
    {
        var fixture = Fixtures.Case(file, name);
        var shapes = fixture.GetProperty("shapes").EnumerateArray().Select(Fixtures.Ints).ToArray();
        var grads = fixture.GetProperty("grads").EnumerateArray().Select(Fixtures.Floats).ToArray();
        var parameters = shapes.Select(s => new Parameter(Tensor.Zeros(s))).ToList();
        for (int i = 0; i < parameters.Count; i++)
        {
            parameters[i].Grad = Tensor.From(grads[i], shapes[i]);
        }
        if (name == "value")
        {
            GradientClipping.ClipGradValue(parameters, Fixtures.Double(fixture, "clip_value"));
        }
        else
        {
            // A fourth parameter without a gradient is skipped, as in the fixture.
            parameters.Add(new Parameter(Tensor.Zeros([2])));
            var normType = fixture.GetProperty("norm_type");
            double p = normType.ValueKind == JsonValueKind.String ? double.PositiveInfinity : normType.GetDouble();
            double total = GradientClipping.ClipGradNorm(parameters, Fixtures.Double(fixture, "max_norm"), p);
            double expectedTotal = Fixtures.Double(fixture, "total_norm");
            Assert.True(Math.Abs(total - expectedTotal) <= 1e-6 * expectedTotal, $"total norm {total} against {expectedTotal}");
            Assert.Null(parameters[^1].Grad);
        }
        var clipped = fixture.GetProperty("clipped").EnumerateArray().Select(Fixtures.Floats).ToArray();
        for (int i = 0; i < clipped.Length; i++)
        {
            var actual = parameters[i].Grad!.ToArray();
            for (int j = 0; j < actual.Length; j++)
            {
                Assert.True(Math.Abs(actual[j] - clipped[i][j]) <= 1e-6 * Math.Abs(clipped[i][j]) + 1e-9,
                    $"{name}: gradient {i}[{j}] is {actual[j]:R}, PyTorch {clipped[i][j]:R}");
            }
        }
    }
}
