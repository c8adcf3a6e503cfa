using Neurite.Autograd;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;
using Neurite.Tests.Autograd;
using Neurite.Tests.Reference;

namespace Neurite.Tests.NN;

/// <summary>The restricted Boltzmann machine's CD-k update: by hand, against PyTorch (tests/reference/gen_rbm.py), and through its forward pass.</summary>
public sealed class BoltzmannMachineTests
{
    private static readonly float Ln3 = MathF.Log(3);

    /// <summary>An RBM of 3 visible and 2 hidden units with W = [[a, 0, −a], [0, a, a]], c = [0, −a], b = 0 and a = ln 3, so that σ(±a) = ¾, ¼.</summary>
    private static RestrictedBoltzmannMachine HandRbm()
    {
        var rbm = new RestrictedBoltzmannMachine(3, 2, 1, new Generator(0));
        rbm.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.From(new float[,] { { Ln3, 0, -Ln3 }, { 0, Ln3, Ln3 } }),
            ["visible_bias"] = Tensor.From([0f, 0f, 0f]),
            ["hidden_bias"] = Tensor.From([0f, -Ln3]),
        });
        return rbm;
    }

    [Fact]
    public void Cd1_update_matches_a_hand_computed_case()
    {
        var rbm = HandRbm();
        var v0 = Tensor.From(new float[,] { { 1, 0, 1 } });
        // p(h | v0) = σ(W·v0 + c) = σ([a − a, a − a]) = [½, ½]; draws u_h = [0.3, 0.7] give h0 = [1, 0].
        // p(v | h0) = σ(Wᵀ·h0 + b) = σ([a, 0, −a]) = [¾, ½, ¼]; draws u_v = [0.6, 0.4, 0.9] give v1 = [1, 1, 0].
        var v1 = rbm.GibbsStep(v0, Tensor.From(new float[,] { { 0.3f, 0.7f } }), Tensor.From(new float[,] { { 0.6f, 0.4f, 0.9f } }));
        Assert.Equal([1f, 1f, 0f], v1.ToArray());

        // F(v) = −b·v − Σ softplus(W·v + c): F(v0) = −2 ln 2 (both pre-activations 0); p(h | v1) = σ([a, 0]) = [¾, ½],
        // F(v1) = −(softplus(ln 3) + softplus(0)) = −(ln 4 + ln 2) = −3 ln 2; the loss F(v0) − F(v1) = ln 2.
        var loss = rbm.ContrastiveDivergence(v0, v1);
        Assert.Equal(MathF.Log(2), loss.Item(), 5);
        loss.Backward();
        // ∂/∂W = −p(h|v0)·v0ᵀ + p(h|v1)·v1ᵀ = −[[½, 0, ½], [½, 0, ½]] + [[¾, ¾, 0], [½, ½, 0]]
        Assert.Equal([0.25f, 0.75f, -0.5f, 0f, 0.5f, -0.5f], rbm.Weight.Grad!.ToArray(), Close);
        // ∂/∂c = −p(h|v0) + p(h|v1) = [¼, 0]; ∂/∂b = −v0 + v1 = [0, 1, −1]
        Assert.Equal([0.25f, 0f], rbm.HiddenBias.Grad!.ToArray(), Close);
        Assert.Equal([0f, 1f, -1f], rbm.VisibleBias.Grad!.ToArray(), Close);

        // One SGD step of lr 1 is the CD-1 rule W += ⟨h v⟩_data − ⟨h v⟩_model.
        new SGD(rbm.Parameters(), new SGDOptions(1)).Step();
        Assert.Equal([Ln3 - 0.25f, -0.75f, -Ln3 + 0.5f, 0f, Ln3 - 0.5f, Ln3 + 0.5f], rbm.Weight.ToArray(), Close);
    }

    [Fact]
    public void The_output_is_the_mean_field_reconstruction_and_its_error_is_the_hand_computed_one()
    {
        var rbm = HandRbm();
        rbm.Eval();
        var v0 = Tensor.From(new float[,] { { 1, 0, 1 } });
        // p(h | v0) = [½, ½]; p(v | [½, ½]) = σ([a/2, a/2, 0]) = [s, s, ½] with s = √3 / (1 + √3).
        float s = MathF.Sqrt(3) / (1 + MathF.Sqrt(3));
        var reconstruction = rbm.Forward(v0);
        Assert.Equal([s, s, 0.5f], reconstruction.ToArray(), Close);
        // ((1 − s)² + s² + ¼) / 3 = (4 − 2√3 + ¼) / 3
        Assert.Equal((4 - 2 * MathF.Sqrt(3) + 0.25f) / 3, Losses.Mse(reconstruction, v0).Item(), 5);
        Assert.Null(rbm.TakeAddedLoss()); // evaluation adds no CD term
    }

    public static TheoryData<string> Cases => Fixture.CaseNames("rbm.json");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Cd_k_update_matches_pytorch_with_the_same_draws(string name)
    {
        var c = Fixture.Case("rbm.json", name);
        var weights = Fixture.ReadTensors(c.GetProperty("weights"));
        int k = c.GetProperty("k").GetInt32();
        var rbm = new RestrictedBoltzmannMachine(weights["weight"].Shape[1], weights["weight"].Shape[0], k, new Generator(0));
        rbm.LoadStateDict(weights);
        var v0 = Fixture.ReadTensor(c.GetProperty("v0"));
        rbm.Eval();
        Assert.Equal(c.GetProperty("reconstruction_error").GetDouble(), Losses.Mse(rbm.Forward(v0), v0).Item(), 5);
        rbm.Train();

        var v = v0;
        using (Graph.NoGrad())
        {
            foreach (var draws in c.GetProperty("draws").EnumerateArray())
            {
                v = rbm.GibbsStep(v, Fixture.ReadTensor(draws.GetProperty("hidden")), Fixture.ReadTensor(draws.GetProperty("visible")));
            }
        }
        Assert.Equal(Fixture.ReadTensor(c.GetProperty("vk")).ToArray(), v.ToArray());
        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("free_energy_v0")), rbm.FreeEnergy(v0), $"{name}: F(v0)");
        Fixture.AssertClose(Fixture.ReadTensor(c.GetProperty("free_energy_vk")), rbm.FreeEnergy(v), $"{name}: F(vk)");

        var loss = rbm.ContrastiveDivergence(v0, v);
        Assert.Equal(c.GetProperty("loss").GetDouble(), loss.Item(), 4);
        loss.Backward();
        var grads = Fixture.ReadTensors(c.GetProperty("grads"));
        var parameters = rbm.NamedParameters().ToDictionary(p => p.Key, p => p.Value);
        Assert.Equal(grads.Keys.Order(), parameters.Keys.Order());
        foreach (var (key, expected) in grads)
        {
            Fixture.AssertClose(expected, parameters[key].Grad, $"{name}: gradient of {key}", 1e-4, 1e-5);
        }
        var fixture = Fixture.Load("rbm.json");
        new SGD(rbm.Parameters(), new SGDOptions(fixture.GetProperty("lr").GetDouble(), fixture.GetProperty("momentum").GetDouble())).Step();
        foreach (var (key, expected) in Fixture.ReadTensors(c.GetProperty("updated")))
        {
            Fixture.AssertClose(expected, parameters[key], $"{name}: {key} after one SGD step", 1e-4, 1e-5);
        }

    }

    [Fact]
    public void Training_forward_adds_the_cd_k_term_of_its_own_gibbs_chain_with_value_zero()
    {
        var x = Tensor.Bernoulli([5, 8], 0.4f, new Generator(3));
        var trained = new RestrictedBoltzmannMachine(8, 4, 2, new Generator(9));
        var draws = new Generator(9);
        var reference = new RestrictedBoltzmannMachine(8, 4, 2, draws); // the same weights; draws is where the chain's draws start

        var output = trained.Forward(x);
        var term = trained.TakeAddedLoss()!;
        Assert.Null(trained.TakeAddedLoss()); // taking it clears it
        Assert.Equal(0f, term.Item()); // d − detach(d): the reported loss is the reconstruction error alone
        term.Backward();

        Tensor negative;
        using (Graph.NoGrad())
        {
            negative = reference.Gibbs(x, 2, draws);
        }
        reference.ContrastiveDivergence(x, negative).Backward();
        Assert.Equal(reference.Weight.Grad!.ToArray(), trained.Weight.Grad!.ToArray());
        Assert.Equal(reference.HiddenBias.Grad!.ToArray(), trained.HiddenBias.Grad!.ToArray());
        Assert.Equal(reference.VisibleBias.Grad!.ToArray(), trained.VisibleBias.Grad!.ToArray());
        Assert.NotEqual(0f, trained.Weight.Grad!.ToArray().Select(MathF.Abs).Max());
        reference.Eval();
        Assert.Equal(reference.Forward(x).ToArray(), output.ToArray());
        Assert.False(output.RequiresGrad); // the reconstruction carries no gradient
        Assert.Same(x, trained.LastVisible);
    }

    [Fact]
    public void Persistent_chains_continue_from_the_previous_update()
    {
        var rng = new Generator(8);
        var (x1, x2) = (Tensor.Bernoulli([4, 6], 0.5f, rng), Tensor.Bernoulli([4, 6], 0.3f, rng));
        var trained = new RestrictedBoltzmannMachine(6, 3, 1, new Generator(2), persistent: true);
        var draws = new Generator(2);
        var reference = new RestrictedBoltzmannMachine(6, 3, 1, draws);

        trained.Forward(x1);
        trained.TakeAddedLoss();
        trained.Forward(x2);
        trained.TakeAddedLoss()!.Backward();

        // PCD-1: the first chains start at x1; the second update's chains continue from their state, not from x2.
        Tensor second;
        using (Graph.NoGrad())
        {
            second = reference.Gibbs(reference.Gibbs(x1, 1, draws), 1, draws);
        }
        reference.ContrastiveDivergence(x2, second).Backward();
        Assert.Equal(reference.Weight.Grad!.ToArray(), trained.Weight.Grad!.ToArray());
        Assert.Equal(reference.VisibleBias.Grad!.ToArray(), trained.VisibleBias.Grad!.ToArray());
    }

    [Fact]
    public void Free_energy_passes_a_gradient_check_in_every_parameter_and_the_input()
    {
        var rbm = new RestrictedBoltzmannMachine(5, 3, 1, new Generator(2));
        var rng = new Generator(4);
        rbm.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.Uniform([3, 5], -1, 1, rng),
            ["visible_bias"] = Tensor.Uniform([5], -1, 1, rng),
            ["hidden_bias"] = Tensor.Uniform([3], -1, 1, rng),
        });
        var v = Tensor.Uniform([4, 5], 0, 1, rng, requiresGrad: true);
        GradCheck.Check(_ => rbm.FreeEnergy(v), [rbm.Weight, rbm.VisibleBias, rbm.HiddenBias, v]);
    }

    [Fact]
    public void Pseudo_log_likelihood_averages_to_the_sum_of_the_exact_conditionals()
    {
        var rbm = new RestrictedBoltzmannMachine(3, 2, 1, new Generator(5));
        var rng = new Generator(6);
        rbm.LoadStateDict(new Dictionary<string, Tensor>
        {
            ["weight"] = Tensor.Uniform([2, 3], -2, 2, rng),
            ["visible_bias"] = Tensor.Uniform([3], -1, 1, rng),
            ["hidden_bias"] = Tensor.Uniform([2], -1, 1, rng),
        });
        float[] sample = [1, 0, 1];
        // Σᵢ log p(vᵢ | v₋ᵢ) = Σᵢ log σ(F(ṽ⁽ⁱ⁾) − F(v)), ṽ⁽ⁱ⁾ being v with unit i flipped, from the free energy itself.
        double exact = 0;
        using (Graph.NoGrad())
        {
            double energy = rbm.FreeEnergy(Tensor.From(sample, [1, 3])).Item();
            for (int i = 0; i < 3; i++)
            {
                var flipped = (float[])sample.Clone();
                flipped[i] = 1 - flipped[i];
                double gap = rbm.FreeEnergy(Tensor.From(flipped, [1, 3])).Item() - energy;
                exact += -Math.Log(1 + Math.Exp(-gap));
            }
        }
        // The estimator 3·log σ(gap of one random unit) has that mean; over 30 000 draws its standard error is below 1 %.
        const int draws = 30_000;
        var batch = Tensor.From([.. Enumerable.Range(0, draws).SelectMany(_ => sample)], [draws, 3]);
        double estimate = rbm.PseudoLogLikelihood(batch, new Generator(7)).Average();
        Assert.Equal(exact, estimate, 0.03 * Math.Abs(exact) + 0.01);
    }

    [Fact]
    public void The_same_seed_gives_the_same_samples_and_another_seed_others()
    {
        var rbm = new RestrictedBoltzmannMachine(16, 6, 1, new Generator(1));
        var first = rbm.Sample(4, 50, new Generator(3));
        Assert.Equal([4, 16], first.Shape.ToArray());
        Assert.Equal(first.ToArray(), rbm.Sample(4, 50, new Generator(3)).ToArray());
        Assert.NotEqual(first.ToArray(), rbm.Sample(4, 50, new Generator(4)).ToArray());
        Assert.All(first.ToArray(), p => Assert.InRange(p, 0f, 1f));
    }

    private static readonly FloatTolerance Close = new(1e-5f);

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => MathF.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
