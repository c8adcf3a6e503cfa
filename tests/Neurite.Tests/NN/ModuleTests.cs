using Neurite.Autograd;
using Neurite.NN;
using Neurite.Tensors;

namespace Neurite.Tests.NN;

public class ModuleTests
{
    private static Sequential Mlp(params int[] sizes)
    {
        var layers = new List<Module>();
        for (int i = 0; i + 1 < sizes.Length; i++)
        {
            layers.Add(new Linear(sizes[i], sizes[i + 1], rng: new Generator((ulong)i)));
            if (i + 2 < sizes.Length)
            {
                layers.Add(new ReLU());
            }
        }
        return new Sequential([.. layers]);
    }

    [Fact]
    public void State_dict_uses_pytorch_names_with_activation_indices()
    {
        var model = Mlp(4, 8, 6, 1);
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"], model.StateDict().Keys);
        Assert.Equal([8, 4], model.StateDict()["0.weight"].Shape.ToArray());
        Assert.Equal(["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"], model.NamedParameters().Select(p => p.Key));
    }

    [Fact]
    public void Parameter_counts_match_the_seeds()
    {
        // Seed 000: d = 10, one hidden layer of 64, K = 5: 64·10 + 64 + 5·64 + 5 = 1029.
        Assert.Equal(1029, Mlp(10, 64, 5).ParameterCount);
        // Seed 001: sizes [4, 8, 6, 1]: n⁽ˡ⁾·n⁽ˡ⁻¹⁾ + n⁽ˡ⁾ per layer = 40, 54, 7; total 101.
        var model = Mlp(4, 8, 6, 1);
        var perLayer = model.Layers.OfType<Linear>().Select(layer => layer.ParameterCount).ToArray();
        Assert.Equal([40L, 54L, 7L], perLayer);
        Assert.Equal(101, model.ParameterCount);
    }

    [Fact]
    public void Load_state_dict_copies_values_in_place_and_round_trips()
    {
        var source = Mlp(3, 5, 2);
        var target = new Sequential(new Linear(3, 5, rng: new Generator(99)), new ReLU(), new Linear(5, 2, rng: new Generator(98)));
        var weightBefore = target.StateDict()["0.weight"];
        target.LoadStateDict(source.StateDict());
        Assert.Same(weightBefore, target.StateDict()["0.weight"]);
        var x = Tensor.Uniform([4, 3], -1, 1, new Generator(5));
        Assert.Equal(source.Call(x).ToArray(), target.Call(x).ToArray());
    }

    [Fact]
    public void Load_state_dict_lists_missing_unexpected_and_mis_shaped_entries_and_changes_nothing()
    {
        var model = Mlp(3, 5, 2);
        var before = model.StateDict()["0.bias"].ToArray();
        var state = new Dictionary<string, Tensor>
        {
            ["0.weight"] = Tensor.Zeros([5, 3]),
            ["0.bias"] = Tensor.Zeros([5]),
            ["2.weight"] = Tensor.Zeros([2, 4]),
            ["3.weight"] = Tensor.Zeros([1]),
        };
        var e = Assert.Throws<ArgumentException>(() => model.LoadStateDict(state));
        Assert.Contains("missing 2.bias", e.Message);
        Assert.Contains("unexpected 3.weight", e.Message);
        Assert.Contains("2.weight: expected [2, 5], got [2, 4]", e.Message);
        Assert.Equal(before, model.StateDict()["0.bias"].ToArray());
    }

    [Fact]
    public void Forward_hooks_see_pre_activations_and_activations_and_backward_hooks_see_the_error_signal()
    {
        // Seed 000's network: z¹ = W¹x + b¹ = [−1, 5], a¹ = ReLU(z¹) = [0, 5], y = W²a¹ + b² = −4.5.
        var first = new Linear(2, 2);
        var second = new Linear(2, 1);
        first.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = Tensor.From([[1f, -2f], [0f, 3f]]), ["bias"] = Tensor.From([-1f, 2f]) });
        second.LoadStateDict(new Dictionary<string, Tensor> { ["weight"] = Tensor.From([[2f, -1f]]), ["bias"] = Tensor.From([0.5f]) });
        var model = new Sequential(first, new ReLU(), second);
        var outputs = new Dictionary<Module, float[]>();
        var deltas = new Dictionary<Module, float[]>();
        foreach (var layer in model.Layers)
        {
            layer.RegisterForwardHook((m, _, y) => outputs[m] = y.ToArray());
            layer.RegisterBackwardHook((m, g) => deltas[m] = g.ToArray());
        }
        var output = model.Call(Tensor.From([[2f, 1f]]));
        output.Backward();

        Assert.Equal([-1f, 5f], outputs[first]);
        Assert.Equal([0f, 5f], outputs[model[1]]);
        Assert.Equal([-4.5f], outputs[second]);
        // δ² = ∂y/∂z² = 1; ∂y/∂a¹ = W²ᵀδ² = [2, −1]; δ¹ = that ⊙ ReLU'(z¹) = [0, −1].
        Assert.Equal([1f], deltas[second]);
        Assert.Equal([2f, -1f], deltas[model[1]]);
        Assert.Equal([0f, -1f], deltas[first]);
        // ∂y/∂W² = δ²·a¹ᵀ = [[0, 5]]
        Assert.Equal([0f, 5f], second.Weight.Grad!.ToArray());
    }

    [Fact]
    public void Disposing_a_forward_hooks_handle_removes_that_hook_only()
    {
        var layer = new ReLU();
        int first = 0, second = 0;
        var handle = layer.RegisterForwardHook((_, _, _) => first++);
        layer.RegisterForwardHook((_, _, _) => second++);
        layer.Call(Tensor.From([1f]));
        handle.Dispose();
        handle.Dispose();
        layer.Call(Tensor.From([1f]));
        Assert.Equal((1, 2), (first, second));
    }

    [Fact]
    public void Train_and_eval_reach_every_descendant()
    {
        var model = new Sequential(new Linear(2, 2), new Sequential(new ReLU(), new Linear(2, 1)));
        model.Eval();
        Assert.False(model.IsTraining);
        Assert.All(model.NamedChildren().Select(c => c.Value), child => Assert.False(child.IsTraining));
        Assert.False(((Sequential)model[1])[1].IsTraining);
        model.Train();
        Assert.True(((Sequential)model[1])[0].IsTraining);
    }

    [Fact]
    public void Modules_print_like_pytorch_with_their_sizes()
    {
        var model = new Sequential(new Linear(2, 3), new ReLU(), new Linear(3, 1, bias: false));
        Assert.Equal("Sequential(\n  (0): Linear(2 => 3)\n  (1): ReLU()\n  (2): Linear(3 => 1, bias=false)\n)", model.ToString());
    }

    [Fact]
    public void Linear_rejects_inputs_of_the_wrong_width_naming_both_sizes()
    {
        var e = Assert.Throws<ArgumentException>(() => new Linear(3, 2).Call(Tensor.Zeros([4, 5])));
        Assert.Contains("Linear(3 => 2)", e.Message);
        Assert.Contains("[4, 5]", e.Message);
    }

    [Fact]
    public void Linear_initializes_as_pytorch_within_one_over_root_fan_in()
    {
        var layer = new Linear(100, 50, rng: new Generator(1));
        float bound = 1f / MathF.Sqrt(100);
        Assert.All(layer.Weight.ToArray(), w => Assert.InRange(w, -bound, bound));
        Assert.InRange(layer.Weight.Max().Item(), 0.9f * bound, bound);
        Assert.InRange(layer.Weight.Min().Item(), -bound, -0.9f * bound);
        Assert.True(layer.Weight.RequiresGrad && layer.Weight.IsLeaf);
    }

    [Fact]
    public void Zero_grad_clears_every_parameter()
    {
        var model = Mlp(2, 3, 1);
        Ops.Sum(model.Call(Tensor.Ones([1, 2]))).Backward();
        Assert.All(model.Parameters(), p => Assert.NotNull(p.Grad));
        model.ZeroGrad();
        Assert.All(model.Parameters(), p => Assert.Null(p.Grad));
    }
}
