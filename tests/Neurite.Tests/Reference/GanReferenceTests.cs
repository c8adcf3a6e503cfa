using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Tests.Reference;

/// <summary>
/// A conditional DCGAN built from a spec against PyTorch's (tests/reference/gen_gan.py): two adversarial steps, each
/// one discriminator step and one generator step with Adam (β₁ = 0.5), at fixed weights, codes, labels and real batches.
/// </summary>
public sealed class GanReferenceTests
{
    /// <summary>PyTorch's examples/dcgan scaled down to 8×8 images, a 4-value code and 3 classes; Adam lr 2·10⁻³, β₁ = 0.5.</summary>
    internal const string Spec = """
        {"input": [1, 8, 8], "gan": {"latent": 4, "classes": 3,
          "generator": {"layers": [
            {"type": "unflatten", "dim": 1, "unflattened_size": [7, 1, 1]},
            {"type": "conv_transpose2d", "out": 8, "kernel": 4, "bias": false},
            {"type": "batch_norm"}, {"type": "relu"},
            {"type": "conv_transpose2d", "out": 1, "kernel": 4, "stride": 2, "padding": 1, "bias": false},
            {"type": "tanh"}],
            "optimizer": {"type": "adam", "lr": 0.002, "betas": [0.5, 0.999]}},
          "discriminator": {"layers": [
            {"type": "conv2d", "out": 8, "kernel": 4, "stride": 2, "padding": 1, "bias": false},
            {"type": "leaky_relu", "alpha": 0.2},
            {"type": "conv2d", "out": 1, "kernel": 4},
            {"type": "flatten"}],
            "optimizer": {"type": "adam", "lr": 0.002, "betas": [0.5, 0.999]}}}}
        """;

    [Fact]
    public void Two_discriminator_and_generator_steps_match_pytorch()
    {
        var spec = ModelSpec.Parse(Spec);
        var gan = (Gan)spec.Build();
        var fixture = Fixture.Load("gan.json");
        gan.LoadStateDict(Fixture.ReadTensors(fixture.GetProperty("initial")));
        var trainer = new GanTrainer(gan, spec.Gan!.GeneratorOptimizer.Build(gan.Generator.Parameters()),
            spec.Gan.DiscriminatorOptimizer.Build(gan.Discriminator.Parameters()));
        int index = 0;
        foreach (var expected in fixture.GetProperty("steps").EnumerateArray())
        {
            string at = $"step {++index}";
            int[] labels = [.. expected.GetProperty("labels").EnumerateArray().Select(label => label.GetInt32())];
            var step = trainer.Step(Fixture.ReadTensor(expected.GetProperty("real")), labels, Fixture.ReadTensor(expected.GetProperty("z")));

            Assert.Equal(expected.GetProperty("loss_d").GetDouble(), step.DiscriminatorLoss, 5);
            Assert.Equal(expected.GetProperty("loss_g").GetDouble(), step.GeneratorLoss, 5);
            Assert.Equal(expected.GetProperty("d_real").GetDouble(), step.RealScore, 5);
            Assert.Equal(expected.GetProperty("d_fake").GetDouble(), step.FakeScore, 5);
            // The gradients after the step: the generator's from its loss; the discriminator's from its loss plus what the
            // generator's backward pass added, as in PyTorch's example.
            var parameters = gan.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
            var grads = Fixture.ReadTensors(expected.GetProperty("grads"));
            Assert.Equal(grads.Keys.Order(), parameters.Keys.Order());
            foreach (var (name, grad) in grads)
            {
                Fixture.AssertClose(grad, parameters[name].Grad, $"{at}: gradient of {name}", 1e-4, 1e-5);
            }
            // Every weight and batch norm's running statistics after both optimizers' steps.
            var state = gan.StateDict();
            foreach (var (name, value) in Fixture.ReadTensors(expected.GetProperty("after")))
            {
                Fixture.AssertClose(value, state[name], $"{at}: {name} after the step", 1e-4, 1e-5);
            }
        }
        Assert.Equal(2, index);
    }

    [Fact]
    public void The_labels_join_the_generator_input_as_one_hot_and_the_discriminator_input_as_planes()
    {
        var gan = (Gan)ModelSpec.Parse(Spec).Build();
        var z = Tensor.From([1f, 2, 3, 4], [1, 4]);
        Assert.Equal([1f, 2, 3, 4, 0, 0, 1], gan.GeneratorInput(z, [2]).ToArray());
        var image = Tensor.Full([1, 1, 8, 8], 0.5f);
        var joined = gan.DiscriminatorInput(image, [1]);
        Assert.Equal([1, 4, 8, 8], joined.Shape.ToArray());
        var values = joined.ToArray();
        Assert.All(values[..64], v => Assert.Equal(0.5f, v));
        Assert.All(values[64..128], v => Assert.Equal(0f, v));
        Assert.All(values[128..192], v => Assert.Equal(1f, v));
        Assert.All(values[192..], v => Assert.Equal(0f, v));
        Assert.Throws<ArgumentException>(() => { gan.GeneratorInput(z, [3]); });
        Assert.Throws<ArgumentException>(() => { gan.GeneratorInput(z, null); });
    }

    [Fact]
    public void The_generator_exports_to_onnx_with_its_evaluation_outputs()
    {
        var spec = ModelSpec.Parse(Spec);
        var gan = (Gan)spec.Build();
        gan.LoadStateDict(Fixture.ReadTensors(Fixture.Load("gan.json").GetProperty("initial")));
        gan.Eval();
        var input = gan.GeneratorInput(Tensor.Normal([5, 4], 0, 1, new Generator(2)), [0, 1, 2, 1, 0]);
        var expected = gan.Generator.Call(input);
        var model = OnnxFile.Export(gan, spec);
        Assert.Equal(["batch", "7"], model.Graph.Inputs[0].Shape!.Select(dim => dim.ToString()));
        Onnx.OnnxRuntimeReference.AssertClose(expected, Onnx.OnnxRuntimeReference.Run(model.ToBytes(), new Dictionary<string, Tensor> { ["input"] = input }), "generator");
    }
}
