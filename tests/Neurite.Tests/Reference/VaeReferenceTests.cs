using Neurite.Autograd;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Tests.Reference;

/// <summary>A VAE built from a spec against PyTorch's (tests/reference/gen_vae.py): its loss and every weight's gradient at fixed weights and noise.</summary>
public sealed class VaeReferenceTests
{
    /// <summary>Kingma &amp; Welling's VAE (PyTorch's examples/vae), scaled down to 6 inputs, 5 hidden units and a 2-D code.</summary>
    internal const string Spec = """
        {"input": [6], "nodes": [
          {"name": "fc1", "type": "linear", "out": 5}, {"name": "h1", "type": "relu"},
          {"name": "fc21", "type": "linear", "out": 2, "inputs": ["h1"]}, {"name": "fc22", "type": "linear", "out": 2, "inputs": ["h1"]},
          {"name": "z", "type": "gaussian_sample", "inputs": ["fc21", "fc22"]},
          {"name": "fc3", "type": "linear", "out": 5}, {"name": "h3", "type": "relu"}, {"name": "fc4", "type": "linear", "out": 6}],
         "output": "fc4", "autoencoder": {"code": "z"}, "loss": {"type": "bce_with_logits", "reduction": "sum_per_sample"}}
        """;

    private static (ModelSpec Spec, GraphModule Model, System.Text.Json.JsonElement Case) Load(string name)
    {
        var spec = ModelSpec.Parse(Spec);
        var model = (GraphModule)spec.Build();
        var c = Fixture.Case("vae.json", name);
        model.LoadStateDict(Fixture.ReadTensors(c.GetProperty("weights")));
        return (spec, model, c);
    }

    private static void AssertGradients(GraphModule model, System.Text.Json.JsonElement c, string name)
    {
        var grads = Fixture.ReadTensors(c.GetProperty("grads"));
        var parameters = model.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(grads.Keys.Order(), parameters.Keys.Order());
        foreach (var (key, expected) in grads)
        {
            Fixture.AssertClose(expected, parameters[key].Grad, $"{name}: gradient of {key}", 1e-4, 1e-5);
        }
    }

    [Fact]
    public void Sampled_loss_and_gradients_match_pytorch_at_fixed_noise()
    {
        var (spec, model, c) = Load("sampled");
        var x = Fixture.ReadTensor(c.GetProperty("x"));
        var epsilon = Fixture.ReadTensor(c.GetProperty("eps"));

        // The encoder's two heads, the sampling node's z with PyTorch's ε, and the decoder from z: the graph's parts by name.
        var mu = model.Run(new Dictionary<string, Tensor> { ["input"] = x }, "fc21");
        var logVar = model.Run(new Dictionary<string, Tensor> { ["input"] = x }, "fc22");
        var z = GaussianSample.Reparameterize(mu, logVar, epsilon);
        var logits = model.Run(new Dictionary<string, Tensor> { ["z"] = z }, "fc4");
        var reconstruction = spec.Loss!.Objective().Loss(logits, x);
        var kl = GaussianSample.KlDivergence(mu, logVar);
        var loss = reconstruction + kl;

        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("mu")), mu, "mu");
        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("logvar")), logVar, "logvar");
        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("z")), z, "z");
        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("logits")), logits, "logits");
        Assert.Equal(c.GetProperty("reconstruction").GetDouble(), reconstruction.Item(), 4);
        Assert.Equal(c.GetProperty("kl").GetDouble(), kl.Item(), 5);
        Assert.Equal(c.GetProperty("loss").GetDouble(), loss.Item(), 4);
        loss.Backward();
        AssertGradients(model, c, "sampled");
    }

    [Fact]
    public void The_trainers_loss_adds_the_kl_term_and_evaluates_at_the_mean()
    {
        var (spec, model, c) = Load("mean");
        var x = Fixture.ReadTensor(c.GetProperty("x"));
        var objective = spec.Loss!.Objective();
        // The model as training runs it, in evaluation mode (z = μ): the loss the trainer reports includes the node's KL term.
        var trainer = new Trainer(model, objective) { TargetIsInput = true };
        var data = new Neurite.Data.Dataset(x, Tensor.Zeros([3]), Neurite.Data.TaskKind.Classification);
        Assert.Equal(c.GetProperty("loss").GetDouble(), trainer.Evaluate(data).Loss, 4);

        // The same forward pass with gradients: the whole model's call, its output compared with its input, plus the added term.
        model.Eval();
        var logits = model.Call(x);
        var loss = objective.Loss(logits, x) + ((IAddsLoss)model.Modules().OfType<GaussianSample>().Single()).TakeAddedLoss()!;
        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("logits")), logits, "logits");
        loss.Backward();
        AssertGradients(model, c, "mean");
    }
}
