using Neurite.Imaging;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Training;

/// <summary>
/// The figures a restricted Boltzmann machine reports beside its loss (the reconstruction error), over the visible
/// batches of its forward passes (<see cref="RestrictedBoltzmannMachine.LastVisible"/>): <c>free_energy</c>, the mean
/// free energy F(v) of the data, and <c>pseudo_log_likelihood</c>, the mean stochastic pseudo-log-likelihood
/// (<see cref="RestrictedBoltzmannMachine.PseudoLogLikelihood"/>), which rises as the model fits the data.
/// </summary>
public static class BoltzmannMetrics
{
    /// <summary>The two metrics of the model's RBM, or none for a model without one.</summary>
    public static IReadOnlyList<IMetric> For(Module model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return model.Modules().OfType<RestrictedBoltzmannMachine>().FirstOrDefault() is { } rbm
            ? [new FreeEnergyMetric(rbm), new PseudoLikelihoodMetric(rbm)]
            : [];
    }

    private sealed class FreeEnergyMetric(RestrictedBoltzmannMachine rbm) : IMetric
    {
        private double _sum;
        private long _count;

        public string Name => "free_energy";

        public double Value => _count == 0 ? 0 : _sum / _count;

        public void Reset() => (_sum, _count) = (0, 0);

        public void Update(Tensor outputs, Tensor targets)
        {
            var v = rbm.LastVisible ?? throw new InvalidOperationException("free_energy: the RBM has run no batch.");
            using var _ = Autograd.Graph.NoGrad();
            foreach (float energy in rbm.FreeEnergy(v).Data)
            {
                _sum += energy;
            }
            _count += v.Shape[0];
        }
    }

    /// <summary>The flipped units are drawn from a generator reseeded at every reset, so an epoch's figure does not depend on the ones before.</summary>
    private sealed class PseudoLikelihoodMetric(RestrictedBoltzmannMachine rbm) : IMetric
    {
        private readonly Generator _rng = new(0);
        private double _sum;
        private long _count;

        public string Name => "pseudo_log_likelihood";

        public double Value => _count == 0 ? 0 : _sum / _count;

        public void Reset()
        {
            (_sum, _count) = (0, 0);
            _rng.Reseed(0);
        }

        public void Update(Tensor outputs, Tensor targets)
        {
            var v = rbm.LastVisible ?? throw new InvalidOperationException("pseudo_log_likelihood: the RBM has run no batch.");
            _sum += rbm.PseudoLogLikelihood(v, _rng).Sum();
            _count += v.Shape[0];
        }
    }
}

/// <summary>
/// The pictures of a restricted Boltzmann machine built from a spec (a single <c>rbm</c> layer whose V visible units are
/// a square image): samples drawn by Gibbs sampling, and the learned filters (each hidden unit's weights as an image).
/// </summary>
public static class BoltzmannPictures
{
    /// <summary>The model's RBM, when the spec is one.</summary>
    /// <exception cref="ArgumentException">The spec is not a single rbm layer, or its visible units are not a square image.</exception>
    public static RestrictedBoltzmannMachine Of(ModelSpec spec, Module model, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentNullException.ThrowIfNull(model);
        string what = source ?? "the model";
        if (spec.Layers is not [RbmSpec] || model.Modules().OfType<RestrictedBoltzmannMachine>().FirstOrDefault() is not { } rbm)
        {
            throw new ArgumentException($"{what} is not a restricted Boltzmann machine (a spec whose only layer is an rbm)");
        }
        ImageSide(rbm);
        return rbm;
    }

    /// <summary>
    /// <paramref name="count"/> Gibbs samples as a grid (<see cref="Picture.Grid"/>, padding 2): chains started from
    /// <paramref name="start"/> [count, V] (else noise), <paramref name="steps"/> steps, draws from a generator seeded with
    /// <paramref name="seed"/>; each tile is the last step's p(v | h). The same seed gives the same picture.
    /// </summary>
    public static Picture Samples(RestrictedBoltzmannMachine rbm, int count, int steps, ulong seed, Tensor? start = null)
    {
        ArgumentNullException.ThrowIfNull(rbm);
        int side = ImageSide(rbm);
        var samples = rbm.Sample(count, steps, new Generator(seed), start is null ? null : Autograd.Ops.Reshape(start, [count, rbm.Visible]));
        return Picture.Grid(Autograd.Ops.Reshape(samples, [count, 1, side, side]));
    }

    /// <summary>
    /// The weights of the first <paramref name="count"/> hidden units (rows of W) as images in a grid, each scaled from its
    /// own minimum (black) to its maximum (white), as the Deep Learning Tutorials' tile_raster_images draws filters.
    /// </summary>
    public static Picture Filters(RestrictedBoltzmannMachine rbm, int count)
    {
        ArgumentNullException.ThrowIfNull(rbm);
        int side = ImageSide(rbm), visible = rbm.Visible;
        count = Math.Clamp(count, 1, rbm.Hidden);
        var images = new float[count * visible];
        ReadOnlySpan<float> weight = rbm.Weight.Data;
        for (int j = 0; j < count; j++)
        {
            var row = weight.Slice(j * visible, visible);
            float low = float.PositiveInfinity, high = float.NegativeInfinity;
            foreach (float w in row)
            {
                (low, high) = (MathF.Min(low, w), MathF.Max(high, w));
            }
            float scale = high > low ? 1 / (high - low) : 0;
            for (int i = 0; i < visible; i++)
            {
                images[j * visible + i] = (row[i] - low) * scale;
            }
        }
        return Picture.Grid(Tensor.From(images, [count, 1, side, side]), padding: 1);
    }

    /// <summary>The side of the square image the visible units make.</summary>
    private static int ImageSide(RestrictedBoltzmannMachine rbm)
    {
        int side = (int)Math.Round(Math.Sqrt(rbm.Visible));
        return side * side == rbm.Visible
            ? side
            : throw new ArgumentException($"the RBM's {rbm.Visible} visible units are not a square image");
    }
}
