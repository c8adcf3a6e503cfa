using System.Text.Json;
using Neurite.Autograd;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;
using static Neurite.Tests.Optim.Fixtures;

namespace Neurite.Tests.Optim;

/// <summary>
/// Every optimizer against PyTorch 1.13, step by step (fixtures from tests/reference/gen_optim.py).
/// Three parameters p0 [4, 5], p1 [3], p2 [2, 2]; L = Σ(p0⊙x0 − t0)² + Σ(p1⊙x1 − t1)², so p2 gets
/// no gradient and must be skipped. The gradients are element-wise, 2·(p⊙x − t)⊙x, and come out
/// bit-identical to PyTorch's, so the parameters after each step must match PyTorch's exactly:
/// the updates repeat PyTorch's sequence of float32 ops.
/// </summary>
public class OptimizerReferenceTests
{
    public static TheoryData<string, string> SgdCases => Names("optim_sgd.json");
    public static TheoryData<string, string> AdamCases => Names("optim_adam.json");
    public static TheoryData<string, string> AdamWCases => Names("optim_adamw.json");
    public static TheoryData<string, string> RmspropCases => Names("optim_rmsprop.json");
    public static TheoryData<string, string> AdagradCases => Names("optim_adagrad.json");

    [Theory]
    [MemberData(nameof(SgdCases))]
    public void SGD_matches_pytorch_step_by_step(string file, string name) =>
        Run(Case(file, name), o => new SGDOptions(
            Double(o, "lr"), Double(o, "momentum"), Double(o, "dampening"), Double(o, "weight_decay"), Bool(o, "nesterov")),
            (groups, defaults) => new SGD(groups, (SGDOptions)defaults));

    [Theory]
    [MemberData(nameof(AdamCases))]
    public void Adam_matches_pytorch_step_by_step(string file, string name) =>
        Run(Case(file, name), o => new AdamOptions(
            Double(o, "lr"), Betas(o)[0], Betas(o)[1], Double(o, "eps"), Double(o, "weight_decay"), Bool(o, "amsgrad")),
            (groups, defaults) => new Adam(groups, (AdamOptions)defaults));

    [Theory]
    [MemberData(nameof(AdamWCases))]
    public void AdamW_matches_pytorch_step_by_step(string file, string name) =>
        Run(Case(file, name), o => new AdamWOptions(
            Double(o, "lr"), Betas(o)[0], Betas(o)[1], Double(o, "eps"), Double(o, "weight_decay"), Bool(o, "amsgrad")),
            (groups, defaults) => new AdamW(groups, (AdamWOptions)defaults));

    [Theory]
    [MemberData(nameof(RmspropCases))]
    public void RMSprop_matches_pytorch_step_by_step(string file, string name) =>
        Run(Case(file, name), o => new RMSpropOptions(
            Double(o, "lr"), Double(o, "alpha"), Double(o, "eps"), Double(o, "weight_decay"), Double(o, "momentum"), Bool(o, "centered")),
            (groups, defaults) => new RMSprop(groups, (RMSpropOptions)defaults));

    [Theory]
    [MemberData(nameof(AdagradCases))]
    public void Adagrad_matches_pytorch_step_by_step(string file, string name) =>
        Run(Case(file, name), o => new AdagradOptions(
            Double(o, "lr"), Double(o, "lr_decay"), Double(o, "weight_decay"), Double(o, "initial_accumulator_value"), Double(o, "eps")),
            (groups, defaults) => new Adagrad(groups, (AdagradOptions)defaults));

    private static double[] Betas(JsonElement o) => Doubles(o.GetProperty("betas"));

    /// <summary>The fixture's problem: parameters, inputs and targets, and the loss over them.</summary>
    internal sealed class Problem
    {
        public Problem(JsonElement c)
        {
            var shapes = c.GetProperty("shapes").EnumerateArray().Select(Ints).ToArray();
            var init = c.GetProperty("init").EnumerateArray().Select(Floats).ToArray();
            Parameters = [.. shapes.Select((shape, i) => new Parameter(Tensor.From(init[i], shape)))];
            Inputs = [.. c.GetProperty("x").EnumerateArray().Select((x, i) => Tensor.From(Floats(x), shapes[i]))];
            Targets = [.. c.GetProperty("t").EnumerateArray().Select((t, i) => Tensor.From(Floats(t), shapes[i]))];
        }

        public Parameter[] Parameters { get; }

        public Tensor[] Inputs { get; }

        public Tensor[] Targets { get; }

        /// <summary>Sets every Grad to null, then back-propagates Σₖ Σ(pₖ⊙xₖ − tₖ)² (p2 takes no part).</summary>
        public void Backward()
        {
            foreach (var p in Parameters)
            {
                p.ZeroGrad();
            }
            Tensor? loss = null;
            for (int k = 0; k < Inputs.Length; k++)
            {
                var d = Ops.Sub(Ops.Mul(Parameters[k], Inputs[k]), Targets[k]);
                var term = Ops.Sum(Ops.Mul(d, d));
                loss = loss is null ? term : Ops.Add(loss, term);
            }
            loss!.Backward();
        }
    }

    /// <summary>The fixture's parameter groups, with their options as PyTorch resolved them.</summary>
    internal static List<ParameterGroup> Groups(JsonElement c, Problem problem, Func<JsonElement, OptimizerOptions> options) =>
        [.. c.GetProperty("groups").EnumerateArray().Select(g => new ParameterGroup(
            Ints(g.GetProperty("params")).Select(i => problem.Parameters[i]),
            options(g.GetProperty("options"))))];

    private static void Run(
        JsonElement c, Func<JsonElement, OptimizerOptions> options, Func<List<ParameterGroup>, OptimizerOptions, Optimizer> make)
    {
        var problem = new Problem(c);
        var frozen = problem.Parameters[2].ToArray();
        var groups = Groups(c, problem, options);
        var optimizer = make(groups, groups[0].Options);
        int step = 0;
        foreach (var expected in c.GetProperty("steps").EnumerateArray())
        {
            step++;
            problem.Backward();
            optimizer.Step();
            int k = 0;
            foreach (var values in expected.EnumerateArray())
            {
                var want = Floats(values);
                var got = problem.Parameters[k].ToArray();
                for (int i = 0; i < want.Length; i++)
                {
                    Assert.True(
                        BitConverter.SingleToInt32Bits(want[i]) == BitConverter.SingleToInt32Bits(got[i]),
                        $"{c.GetProperty("name")}: step {step}, p{k}[{i}]: PyTorch {want[i]:R}, Neurite {got[i]:R}");
                }
                k++;
            }
        }
        // p2 never had a gradient: it is unchanged and has no state (its index counts through the groups).
        Assert.Equal(frozen, problem.Parameters[2].ToArray());
        int frozenIndex = groups.SelectMany(g => g.Parameters).ToList().IndexOf(problem.Parameters[2]);
        Assert.Equal(2, optimizer.StateDict().Parameters.Count);
        Assert.DoesNotContain(frozenIndex, optimizer.StateDict().Parameters.Keys);
    }
}
