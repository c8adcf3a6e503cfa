using System.Text.Json;
using Neurite.Autograd;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Tests.Reference;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.NN;

/// <summary>BatchNorm2d against PyTorch (tests/reference/batch_norm2d.json, from gen_batch_norm2d.py), its gradients, and the batch_norm layer on images.</summary>
public class BatchNorm2dTests
{
    private const string File = "batch_norm2d.json";

    public static TheoryData<string> Cases => Fixture.CaseNames(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_pytorch_in_training_and_evaluation(string name)
    {
        var c = Fixture.Case(File, name);
        int channels = c.GetProperty("shape")[1].GetInt32();
        bool affine = c.GetProperty("affine").GetBoolean();
        var bn = new BatchNorm2d(channels, momentum: (float)c.GetProperty("momentum").GetDouble(), affine: affine);
        if (affine)
        {
            Fixture.ReadTensor(c.GetProperty("weight")).Data.CopyTo(bn.Weight!.Data);
            Fixture.ReadTensor(c.GetProperty("bias")).Data.CopyTo(bn.Bias!.Data);
        }
        int step = 0;
        foreach (var s in c.GetProperty("steps").EnumerateArray())
        {
            CheckStep(bn, s, affine, $"{name} step {step}");
            Fixture.AssertClose(Fixture.ReadTensor(s.GetProperty("running_mean")), bn.RunningMean, $"{name} step {step}: running mean");
            Fixture.AssertClose(Fixture.ReadTensor(s.GetProperty("running_var")), bn.RunningVar, $"{name} step {step}: running variance");
            step++;
        }
        Assert.Equal(c.GetProperty("num_batches_tracked").GetInt32(), (int)bn.NumBatchesTracked.Item());
        bn.Eval();
        var runningMean = bn.RunningMean.ToArray();
        CheckStep(bn, c.GetProperty("eval"), affine, $"{name} evaluation");
        Assert.Equal(runningMean, bn.RunningMean.ToArray()); // evaluation leaves the statistics alone
        Assert.Equal(2f, bn.NumBatchesTracked.Item());
    }

    private static void CheckStep(BatchNorm2d bn, JsonElement s, bool affine, string what)
    {
        var x = Fixture.ReadTensor(s.GetProperty("x"), requiresGrad: true);
        var y = bn.Call(x);
        Fixture.AssertClose(Fixture.ReadTensor(s.GetProperty("y")), y, $"{what}: output", 1e-5, 1e-5);
        y.Backward(Fixture.ReadTensor(s.GetProperty("upstream")));
        var grads = s.GetProperty("grads");
        Fixture.AssertClose(Fixture.ReadTensor(grads.GetProperty("x")), x.Grad, $"{what}: input gradient", 1e-4, 1e-5);
        if (affine)
        {
            Fixture.AssertClose(Fixture.ReadTensor(grads.GetProperty("weight")), bn.Weight!.Grad, $"{what}: weight gradient", 1e-4, 1e-5);
            Fixture.AssertClose(Fixture.ReadTensor(grads.GetProperty("bias")), bn.Bias!.Grad, $"{what}: bias gradient", 1e-5, 1e-5);
            bn.ZeroGrad();
        }
    }

    [Fact]
    public void Passes_finite_difference_checks_with_batch_and_running_statistics()
    {
        var bn = new BatchNorm2d(2);
        Check(x => bn.Call(x[0]), [Input([3, 2, 3, 4], 1)], atol: 5e-3);
        // Through the op, for the weight's and bias's gradients too; H·W = 9 covers a vector of 8 and a tail.
        Check(x => Ops.BatchNorm(x[0], null, null, x[1], x[2], training: true), [Input([2, 3, 3, 3], 2), Input([3], 3), Input([3], 4)], atol: 5e-3);
        var runningMean = Tensor.From([0.5f, -1f, 0.2f]);
        var runningVar = Tensor.From([2f, 0.5f, 1.5f]);
        Check(x => Ops.BatchNorm(x[0], runningMean, runningVar, x[1], x[2], training: false), [Input([2, 3, 3, 3], 5), Input([3], 6), Input([3], 7)]);
        // Rows of channels (H·W = 1) go through the row-wise kernels.
        Check(x => Ops.BatchNorm(x[0], null, null, x[1], null, training: true), [Input([5, 4, 1, 1], 8), Input([4], 9)], atol: 5e-3);
    }

    [Fact]
    public void The_output_of_each_channel_has_zero_mean_and_unit_variance_in_training()
    {
        var bn = new BatchNorm2d(3, affine: false);
        var x = Tensor.Uniform([8, 3, 5, 7], -4f, 10f, new Generator(3));
        var y = bn.Call(x).ToArray();
        for (int c = 0; c < 3; c++)
        {
            var values = Enumerable.Range(0, 8).SelectMany(i => y.Skip((i * 3 + c) * 35).Take(35)).Select(v => (double)v).ToArray();
            double mean = values.Average();
            Assert.Equal(0, mean, 1e-5);
            // (1/M)·Σ x̂² = σ²/(σ² + ε), just below 1.
            Assert.Equal(1, values.Select(v => (v - mean) * (v - mean)).Average(), 1e-3);
        }
    }

    [Fact]
    public void Bad_inputs_are_refused_with_the_shapes()
    {
        var bn = new BatchNorm2d(3);
        Assert.Equal("BatchNorm2d(3, eps=1E-05, momentum=0.1, affine=True): expected input [N, 3, H, W]; got [4, 3].",
            Assert.Throws<ArgumentException>(() => bn.Call(Tensor.Ones([4, 3]))).Message);
        Assert.Equal("BatchNorm2d(3, eps=1E-05, momentum=0.1, affine=True): expected input [N, 3, H, W]; got [4, 2, 5, 5].",
            Assert.Throws<ArgumentException>(() => bn.Call(Tensor.Ones([4, 2, 5, 5]))).Message);
        Assert.Equal("BatchNorm2d(3, eps=1E-05, momentum=0.1, affine=True): training needs more than one value per channel; got input [1, 3, 1, 1].",
            Assert.Throws<ArgumentException>(() => bn.Call(Tensor.Ones([1, 3, 1, 1]))).Message);
        bn.Eval();
        Assert.Equal([1, 3, 1, 1], bn.Call(Tensor.Ones([1, 3, 1, 1])).Shape.ToArray()); // evaluation takes a single image
        Assert.Equal("BatchNorm2d: numFeatures must be >= 1; got 0. (Parameter 'numFeatures')", Assert.Throws<ArgumentException>(() => new BatchNorm2d(0)).Message);
        Assert.Equal("BatchNorm: weight has shape [2], but input [2, 3, 2, 2] has 3 channels.",
            Assert.Throws<ArgumentException>(() => Ops.BatchNorm(Tensor.Ones([2, 3, 2, 2]), null, null, Tensor.Ones([2]), null, training: true)).Message);
        Assert.Equal("BatchNorm: evaluation needs running_mean and running_var.",
            Assert.Throws<ArgumentException>(() => Ops.BatchNorm(Tensor.Ones([2, 3, 2, 2]), null, null, null, null, training: false)).Message);
    }

    [Fact]
    public void The_batch_norm_layer_on_images_is_a_BatchNorm2d_with_pytorchs_state_dict()
    {
        var spec = ModelSpec.Parse("""{"input": [3, 4, 5], "layers": [{"type": "batch_norm", "momentum": 0.2}, {"type": "flatten"}, {"type": "linear", "out": 2}]}""");
        var model = spec.Build();
        var bn = Assert.IsType<BatchNorm2d>(model.NamedChildren().First().Value);
        Assert.Equal(0.2f, bn.Momentum);
        Assert.Equal(["0.weight", "0.bias", "0.running_mean", "0.running_var", "0.num_batches_tracked", "2.weight", "2.bias"], model.StateDict().Keys);
        Assert.Equal([3], model.StateDict()["0.running_var"].Shape.ToArray());
        Assert.Empty(model.StateDict()["0.num_batches_tracked"].Shape.ToArray());
        var summary = spec.Summarize();
        Assert.Equal([-1, 3, 4, 5], summary.Layers[0].OutputShape);
        Assert.Equal(6, summary.Layers[0].Params);
        Assert.Equal(60, summary.Layers[0].MultiplyAccumulates); // one per value of [3, 4, 5]
        Assert.Equal([2, 2], model.Call(Tensor.Uniform([2, 3, 4, 5], -1f, 1f, new Generator(1))).Shape.ToArray());
        Assert.Equal(1f, bn.NumBatchesTracked.Item());
        Assert.IsType<BatchNorm1d>(ModelSpec.Parse("""{"input": [3, 4], "layers": [{"type": "batch_norm"}]}""").Build().NamedChildren().First().Value);
    }
}
