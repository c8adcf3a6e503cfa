using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.NN;

/// <summary>Finite-difference gradient checks for the merge modules and a graph's forward pass, inputs and parameters alike.</summary>
public sealed class GraphGradientTests
{
    [Fact]
    public void Concat_is_differentiable_along_each_sample_axis()
    {
        Check(x => new Concat().Forward([x[0], x[1]]), [Input([2, 3], 1), Input([2, 4], 2)]);
        Check(x => new Concat(1).Forward([x[0], x[1], x[2]]), [Input([2, 1, 3], 3), Input([2, 2, 3], 4), Input([2, 3, 3], 5)]);
        Check(x => new Concat(-2).Forward([x[0], x[1]]), [Input([3, 2, 2], 6), Input([3, 1, 2], 7)]);
    }

    [Fact]
    public void Add_is_differentiable_in_every_input()
    {
        Check(x => new Add().Forward([x[0], x[1]]), [Input([2, 3], 8), Input([2, 3], 9)]);
        // The same tensor twice: its gradient accumulates, ∂(x + x + y)/∂x = 2.
        Check(x => new Add().Forward([x[0], x[0], x[1]]), [Input([4], 10), Input([4], 11)]);
    }

    [Fact]
    public void A_graph_forward_pass_is_differentiable_in_its_inputs_and_parameters()
    {
        // Two inputs, a shared hidden node feeding a concat and an add, tanh for smoothness.
        var spec = ModelSpec.Parse("""
            {"inputs": {"x": [3], "y": [2]}, "nodes": [
              {"name": "h", "type": "linear", "out": 2, "inputs": ["x"]},
              {"name": "t", "type": "tanh"},
              {"name": "sum", "type": "add", "inputs": ["t", "y"]},
              {"name": "cat", "type": "concat", "inputs": ["x", "sum", "t"]},
              {"name": "out", "type": "linear", "out": 2}
            ]}
            """);
        var model = spec.Build(new Generator(21));
        Tensor[] inputs = [Input([4, 3], 12), Input([4, 2], 13), .. model.Parameters()];
        Check(t => model.Call([t[0], t[1]]), inputs);
    }
}
