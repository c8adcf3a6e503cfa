using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

namespace Neurite.Tests.Optim;

public class OptimizerTests
{
    /// <summary>Each optimizer with the options that use all of its buffers.</summary>
    public static TheoryData<string> Kinds => ["sgd", "adam", "adamw", "rmsprop", "adagrad"];

    private static Optimizer Make(string kind, IEnumerable<Parameter> parameters) => kind switch
    {
        "sgd" => new SGD(parameters, new SGDOptions(0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 0.01)),
        "adam" => new Adam(parameters, new AdamOptions(0.01, Amsgrad: true, WeightDecay: 0.01)),
        "adamw" => new AdamW(parameters, new AdamWOptions(0.01, Amsgrad: true)),
        "rmsprop" => new RMSprop(parameters, new RMSpropOptions(0.01, Momentum: 0.9, Centered: true, WeightDecay: 0.01)),
        "adagrad" => new Adagrad(parameters, new AdagradOptions(0.1, LrDecay: 0.01, InitialAccumulatorValue: 0.1)),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>Parameters [7, 3] and [5] with a gradient that changes with the step (seeded).</summary>
    private static Parameter[] Parameters() =>
    [
        new Parameter(Tensor.Uniform([7, 3], -1, 1, new Generator(1))),
        new Parameter(Tensor.Uniform([5], -1, 1, new Generator(2))),
    ];

    private static void SetGrads(Parameter[] parameters, int step)
    {
        for (int k = 0; k < parameters.Length; k++)
        {
            parameters[k].Grad = Tensor.Uniform(parameters[k].Shape, -1, 1, new Generator((ulong)(100 * step + k)));
        }
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_restored_optimizer_continues_bit_identically(string kind)
    {
        // One run of 7 steps, against 3 steps, a save, a fresh optimizer over copies that loads the
        // state, and 4 more steps: the parameters must end up with the same bits.
        var straight = Parameters();
        var first = Parameters();
        var straightOptimizer = Make(kind, straight);
        var firstOptimizer = Make(kind, first);
        for (int step = 0; step < 3; step++)
        {
            SetGrads(straight, step);
            SetGrads(first, step);
            straightOptimizer.Step();
            firstOptimizer.Step();
        }
        var state = firstOptimizer.StateDict();
        var resumed = first.Select(p => new Parameter(p.Clone())).ToArray();
        var resumedOptimizer = Make(kind, resumed);
        resumedOptimizer.LoadStateDict(state);
        // The saved state is a copy: stepping the optimizer it came from must not change it.
        var savedBuffers = state.Parameters[0].Buffers.ToDictionary(b => b.Key, b => b.Value.ToArray());
        SetGrads(first, 3);
        firstOptimizer.Step();
        Assert.Equal(savedBuffers, state.Parameters[0].Buffers.ToDictionary(b => b.Key, b => b.Value.ToArray()));
        // … and the loaded state is a copy too: changing the saved arrays must not reach the optimizer.
        foreach (var buffer in state.Parameters[0].Buffers.Values)
        {
            buffer.AsSpan().Fill(float.NaN);
        }

        for (int step = 3; step < 7; step++)
        {
            SetGrads(straight, step);
            SetGrads(resumed, step);
            straightOptimizer.Step();
            resumedOptimizer.Step();
        }
        for (int k = 0; k < straight.Length; k++)
        {
            Assert.Equal(straight[k].ToArray(), resumed[k].ToArray());
        }
        Assert.Equal(7, resumedOptimizer.StateDict().Parameters[1].Step);
    }

    [Fact]
    public void The_state_names_pytorchs_buffers()
    {
        var parameters = Parameters();
        var adam = new Adam(parameters, new AdamOptions(Amsgrad: true));
        SetGrads(parameters, 0);
        adam.Step();
        var state = adam.StateDict();
        Assert.Equal(["exp_avg", "exp_avg_sq", "max_exp_avg_sq"], state.Parameters[0].Buffers.Keys.Order());
        Assert.Equal(1, state.Parameters[0].Step);
        // m₁ = (1 − β₁)·g₁, the factor rounded to float first as PyTorch's alpha is, then one float product.
        var g = parameters[0].Grad!.ToArray();
        float oneMinusBeta1 = (float)(1 - 0.9);
        Assert.Equal(g.Select(v => v * oneMinusBeta1), state.Parameters[0].Buffers["exp_avg"]);
        Assert.Equal(new AdamOptions(Amsgrad: true), Assert.Single(state.Groups));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Steps_after_the_first_allocate_nothing(string kind)
    {
        var parameters = Parameters();
        var optimizer = Make(kind, parameters);
        SetGrads(parameters, 0);
        optimizer.Step();
        optimizer.Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++)
        {
            optimizer.Step();
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void Each_group_uses_its_own_learning_rate_and_lr_can_be_set()
    {
        // Plain SGD: θ ← θ − γ·g with g = 1, so each parameter moves by exactly its group's γ.
        var a = new Parameter(Tensor.Zeros([2]));
        var b = new Parameter(Tensor.Zeros([2]));
        var defaults = new SGDOptions(0.5);
        var sgd = new SGD([new ParameterGroup([a]), new ParameterGroup([b], defaults with { Lr = 0.25 })], defaults);
        a.Grad = Tensor.Ones([2]);
        b.Grad = Tensor.Ones([2]);
        sgd.Step();
        Assert.Equal([-0.5f, -0.5f], a.ToArray());
        Assert.Equal([-0.25f, -0.25f], b.ToArray());
        sgd.ParamGroups[1].Lr = 0.125;
        sgd.Step();
        Assert.Equal([-1f, -1f], a.ToArray());
        Assert.Equal([-0.375f, -0.375f], b.ToArray());
        Assert.Equal(new SGDOptions(0.125), sgd.ParamGroups[1].Options);
    }

    [Fact]
    public void ZeroGrad_sets_gradients_to_null_or_fills_them_with_zeros()
    {
        var parameters = Parameters();
        var sgd = new SGD(parameters, new SGDOptions(0.1));
        SetGrads(parameters, 0);
        sgd.ZeroGrad(setToNone: false);
        Assert.All(parameters, p => Assert.Equal(new float[p.Count], p.Grad!.ToArray()));
        sgd.ZeroGrad();
        Assert.All(parameters, p => Assert.Null(p.Grad));
    }

    [Theory]
    [InlineData("sgd lr", "Invalid learning rate: -0.1", "Lr")]
    [InlineData("sgd momentum", "Invalid momentum value: -0.5", "Momentum")]
    [InlineData("sgd weight decay", "Invalid weight_decay value: -0.01", "WeightDecay")]
    [InlineData("sgd nesterov without momentum", "Nesterov momentum requires a momentum and zero dampening (momentum 0, dampening 0)", "Nesterov")]
    [InlineData("sgd nesterov with dampening", "Nesterov momentum requires a momentum and zero dampening (momentum 0.9, dampening 0.1)", "Nesterov")]
    [InlineData("adam lr", "Invalid learning rate: -0.001", "Lr")]
    [InlineData("adam eps", "Invalid epsilon value: -1e-08", "Eps")]
    [InlineData("adam beta1", "Invalid beta parameter at index 0: 1", "Beta1")]
    [InlineData("adam beta2", "Invalid beta parameter at index 1: -0.1", "Beta2")]
    [InlineData("adam weight decay", "Invalid weight_decay value: -1", "WeightDecay")]
    [InlineData("adamw beta2", "Invalid beta parameter at index 1: 1.5", "Beta2")]
    [InlineData("adamw weight decay", "Invalid weight_decay value: -0.01", "WeightDecay")]
    [InlineData("rmsprop alpha", "Invalid alpha value: -0.5", "Alpha")]
    [InlineData("rmsprop momentum", "Invalid momentum value: -0.9", "Momentum")]
    [InlineData("rmsprop eps", "Invalid epsilon value: -1", "Eps")]
    [InlineData("adagrad lr decay", "Invalid lr_decay value: -0.1", "LrDecay")]
    [InlineData("adagrad initial accumulator", "Invalid initial_accumulator_value value: -2", "InitialAccumulatorValue")]
    [InlineData("adagrad eps", "Invalid epsilon value: NaN", "Eps")]
    public void Invalid_hyperparameters_throw_naming_the_argument_and_value(string what, string message, string argument)
    {
        var p = Parameters();
        Action build = what switch
        {
            "sgd lr" => () => _ = new SGD(p, new SGDOptions(-0.1)),
            "sgd momentum" => () => _ = new SGD(p, new SGDOptions(0.1, Momentum: -0.5)),
            "sgd weight decay" => () => _ = new SGD(p, new SGDOptions(0.1, WeightDecay: -0.01)),
            "sgd nesterov without momentum" => () => _ = new SGD(p, new SGDOptions(0.1, Nesterov: true)),
            "sgd nesterov with dampening" => () => _ = new SGD(p, new SGDOptions(0.1, Momentum: 0.9, Dampening: 0.1, Nesterov: true)),
            "adam lr" => () => _ = new Adam(p, new AdamOptions(-0.001)),
            "adam eps" => () => _ = new Adam(p, new AdamOptions(Eps: -1e-8)),
            "adam beta1" => () => _ = new Adam(p, new AdamOptions(Beta1: 1)),
            "adam beta2" => () => _ = new Adam(p, new AdamOptions(Beta2: -0.1)),
            "adam weight decay" => () => _ = new Adam(p, new AdamOptions(WeightDecay: -1)),
            "adamw beta2" => () => _ = new AdamW(p, new AdamWOptions(Beta2: 1.5)),
            "adamw weight decay" => () => _ = new AdamW(p, new AdamWOptions(WeightDecay: -0.01)),
            "rmsprop alpha" => () => _ = new RMSprop(p, new RMSpropOptions(Alpha: -0.5)),
            "rmsprop momentum" => () => _ = new RMSprop(p, new RMSpropOptions(Momentum: -0.9)),
            "rmsprop eps" => () => _ = new RMSprop(p, new RMSpropOptions(Eps: -1)),
            "adagrad lr decay" => () => _ = new Adagrad(p, new AdagradOptions(LrDecay: -0.1)),
            "adagrad initial accumulator" => () => _ = new Adagrad(p, new AdagradOptions(InitialAccumulatorValue: -2)),
            "adagrad eps" => () => _ = new Adagrad(p, new AdagradOptions(Eps: double.NaN)),
            _ => throw new ArgumentOutOfRangeException(nameof(what)),
        };
        var e = Assert.Throws<ArgumentException>(build);
        Assert.Equal($"{message} (Parameter '{argument}')", e.Message);
        Assert.Equal(argument, e.ParamName);
    }

    [Fact]
    public void Setting_an_invalid_or_foreign_option_on_a_group_throws_and_keeps_the_old_one()
    {
        var adam = new Adam(Parameters());
        var group = adam.ParamGroups[0];
        var e = Assert.Throws<ArgumentException>(() => group.Lr = -1);
        Assert.StartsWith("Invalid learning rate: -1", e.Message);
        e = Assert.Throws<ArgumentException>(() => group.Options = new SGDOptions(0.1));
        Assert.StartsWith("ParameterGroup: the group's options are AdamOptions; SGDOptions cannot replace them.", e.Message);
        Assert.Equal(new AdamOptions(), group.Options);
    }

    [Fact]
    public void Parameter_lists_must_be_non_empty_disjoint_and_of_the_optimizers_kind()
    {
        var p = Parameters();
        Assert.StartsWith("SGD: optimizer got an empty parameter list.",
            Assert.Throws<ArgumentException>(() => new SGD(Array.Empty<Parameter>(), new SGDOptions(0.1))).Message);
        Assert.StartsWith("Adam: some parameters appear in more than one parameter group.",
            Assert.Throws<ArgumentException>(() => new Adam([new ParameterGroup(p), new ParameterGroup([p[1]])])).Message);
        Assert.StartsWith("Adam: a parameter group has SGDOptions, but Adam takes AdamOptions.",
            Assert.Throws<ArgumentException>(() => new Adam([new ParameterGroup(p, new SGDOptions(0.1))])).Message);
    }

    [Fact]
    public void A_gradient_of_the_wrong_size_is_an_error()
    {
        var p = Parameters();
        var sgd = new SGD(p, new SGDOptions(0.1));
        p[1].Grad = Tensor.Zeros([4]);
        var e = Assert.Throws<InvalidOperationException>(sgd.Step);
        Assert.Equal("SGD.Step: parameter 1 has shape [5] but its gradient has shape [4].", e.Message);
    }

    [Fact]
    public void Loading_a_state_that_does_not_fit_lists_every_problem_and_changes_nothing()
    {
        var p = Parameters();
        var adam = new Adam(p);
        SetGrads(p, 0);
        adam.Step();
        var before = adam.StateDict();
        var bad = new OptimizerState(
            [new AdamOptions(), new AdamOptions()],
            new Dictionary<int, ParameterState>
            {
                [0] = new ParameterState(3, new Dictionary<string, float[]> { ["exp_avg"] = new float[20], ["momentum"] = new float[21] }),
                [5] = new ParameterState(3, new Dictionary<string, float[]>()),
            });
        var e = Assert.Throws<ArgumentException>(() => adam.LoadStateDict(bad));
        Assert.StartsWith(
            "Adam.LoadStateDict: 2 groups, expected 1; parameter 0: exp_avg holds 20 values, expected 21; " +
            "parameter 0: unknown buffer momentum; parameter 5 does not exist (there are 2).", e.Message);
        Assert.Equal(before.Parameters[0].Buffers["exp_avg"], adam.StateDict().Parameters[0].Buffers["exp_avg"]);
        Assert.Equal(1, adam.StateDict().Parameters[0].Step);
        e = Assert.Throws<ArgumentException>(() => adam.LoadStateDict(new OptimizerState([new SGDOptions(0.1)], before.Parameters)));
        Assert.StartsWith("Adam.LoadStateDict: group 0 has SGDOptions, expected AdamOptions.", e.Message);
    }
}
