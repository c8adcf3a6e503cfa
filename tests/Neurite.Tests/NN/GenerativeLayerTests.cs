using Neurite.NN;
using Neurite.Tensors;
using static Neurite.Tests.Autograd.GradCheck;

namespace Neurite.Tests.NN;

/// <summary>The layers autoencoders are built from: gaussian noise (denoising), the VAE's sampling node, unflatten.</summary>
public class GenerativeLayerTests
{
    [Fact]
    public void Gaussian_noise_adds_noise_of_its_std_in_training_only()
    {
        var noise = new GaussianNoise(0.5f, new Generator(3));
        var x = Input([200, 50], 4);
        var y = noise.Call(x);
        var differences = y.ToArray().Zip(x.ToArray(), (a, b) => (double)a - b).ToArray();
        double mean = differences.Average(), std = Math.Sqrt(differences.Average(d => (d - mean) * (d - mean)));
        // 10,000 draws of N(0, 0.25): the sample mean's σ is 0.005 and the sample std's about 0.0035; 5σ either side.
        Assert.InRange(mean, -0.025, 0.025);
        Assert.InRange(std, 0.5 - 0.018, 0.5 + 0.018);

        noise.Eval();
        Assert.Same(x, noise.Call(x));
    }

    [Fact]
    public void Gaussian_noise_passes_the_gradient_through()
    {
        var rng = new Generator(5);
        var noise = new GaussianNoise(0.3f, rng);
        Check(inputs =>
        {
            rng.Reseed(5); // the same noise for every evaluation of the finite differences
            return noise.Call(inputs[0]);
        }, [Input([3, 4], 6)]);
    }

    [Fact]
    public void Reparameterized_sample_has_gradients_for_mu_and_log_variance()
    {
        var epsilon = Tensor.Normal([4, 3], 0, 1, new Generator(8));
        Check(inputs => GaussianSample.Reparameterize(inputs[0], inputs[1], epsilon), [Input([4, 3], 9), Input([4, 3], 10)]);
    }

    [Fact]
    public void Kl_term_has_gradients_for_mu_and_log_variance()
    {
        Check(inputs => GaussianSample.KlDivergence(inputs[0], inputs[1]), [Input([4, 3], 11), Input([4, 3], 12)]);
    }

    [Fact]
    public void Kl_term_is_the_closed_form_per_sample_mean()
    {
        // One sample, one value: KL(N(μ, σ²) ‖ N(0, 1)) = ½(σ² + μ² − 1 − ln σ²); μ = 1, σ² = e gives ½(e + 1 − 1 − 1) = (e − 1)/2.
        var kl = GaussianSample.KlDivergence(Tensor.From([1f], [1, 1]), Tensor.From([1f], [1, 1])).Item();
        Assert.Equal((Math.E - 1) / 2, kl, 5);
        // Two samples, the second at the prior (KL 0): the batch mean halves it.
        var two = GaussianSample.KlDivergence(Tensor.From([1f, 0f], [2, 1]), Tensor.From([1f, 0f], [2, 1])).Item();
        Assert.Equal((Math.E - 1) / 4, two, 5);
    }

    [Fact]
    public void The_sampling_node_draws_in_training_returns_mu_in_evaluation_and_adds_its_kl_term()
    {
        var rng = new Generator(13);
        var node = new GaussianSample(rng);
        var mu = Input([2, 3], 14);
        var logVar = Input([2, 3], 15);

        rng.Reseed(21);
        var z = node.Call([mu, logVar]);
        var expected = GaussianSample.Reparameterize(mu, logVar, Tensor.Normal([2, 3], 0, 1, new Generator(21)));
        Assert.Equal(expected.ToArray(), z.ToArray());
        Assert.Equal(GaussianSample.KlDivergence(mu, logVar).Item(), node.TakeAddedLoss()!.Item());
        Assert.Null(node.TakeAddedLoss()); // taking the term clears it

        rng.Reseed(21);
        Check(inputs =>
        {
            rng.Reseed(21);
            return node.Call(inputs);
        }, [mu, logVar]);

        node.Eval();
        Assert.Same(mu, node.Call([mu, logVar]));
        node.SampleInEval = true;
        rng.Reseed(21);
        Assert.Equal(expected.ToArray(), node.Call([mu, logVar]).ToArray());
        Assert.Contains("[2, 3] and [2, 2]", Assert.Throws<ArgumentException>(() => node.Call([mu, Tensor.Zeros([2, 2])])).Message);
    }

    [Fact]
    public void Unflatten_splits_an_axis_as_a_view_with_its_gradient()
    {
        var unflatten = new Unflatten(1, [2, 3]);
        var x = Input([4, 6], 16);
        var y = unflatten.Call(x);
        Assert.Equal([4, 2, 3], y.Shape.ToArray());
        Assert.Equal(x.ToArray(), y.ToArray());
        Check(inputs => unflatten.Call(inputs[0]), [Input([2, 6], 17)]);
        Assert.Contains("[4, 5]", Assert.Throws<ArgumentException>(() => unflatten.Call(Tensor.Zeros([4, 5]))).Message);
    }
}
