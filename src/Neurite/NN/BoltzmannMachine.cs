using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>
/// A restricted Boltzmann machine with Bernoulli visible units v ∈ {0, 1}^V and hidden units h ∈ {0, 1}^H (Smolensky,
/// 1986; Hinton, 2002), energy E(v, h) = −bᵀv − cᵀh − hᵀWv, trained by contrastive divergence CD-k. Parameters, as the
/// common PyTorch RBM code names them (<c>W</c>, <c>v_bias</c>, <c>h_bias</c>): <c>weight</c> W [H, V] (the layout of
/// <see cref="Linear"/>, so that p(h | v) = σ(v·Wᵀ + c) is F.linear), <c>visible_bias</c> b [V], <c>hidden_bias</c> c [H].
/// </summary>
/// <remarks>
/// <para>The conditionals factorize: p(hⱼ = 1 | v) = σ(cⱼ + Wⱼ·v), p(vᵢ = 1 | h) = σ(bᵢ + W[:, i]·h); the free energy is
/// F(v) = −bᵀv − Σⱼ softplus(cⱼ + Wⱼ·v), so that p(v) ∝ exp(−F(v)).</para>
/// <para>Training: the forward pass in training mode runs k steps of block Gibbs sampling from the batch v₀ (without a
/// graph) to v_k and adds the term mean F(v₀) − mean F(v_k) to the objective (<see cref="IAddsLoss"/>). Its gradient is
/// exactly the CD-k update's negative: ∂F(v)/∂W = −p(h | v)·vᵀ, ∂F/∂c = −p(h | v), ∂F/∂b = −v, so plain SGD gives
/// ΔW = lr·(⟨p(h|v₀)v₀ᵀ⟩ − ⟨p(h|v_k)v_kᵀ⟩) (Hinton's practical guide, eq. 9 with probabilities for the last hidden
/// states). The term is added as d − detach(d): its value is 0, so the reported loss is the reconstruction error
/// alone, while its gradient is the CD-k update.</para>
/// <para>Persistent CD (PCD, Tieleman 2008), when asked: the chains are not restarted at each batch's data but continue
/// from where the previous update left them (the first batch starts them at its data; a smaller batch continues the
/// first chains). The chains' state is not a parameter or buffer: a resumed run restarts them.</para>
/// <para>Output, in both modes: the mean-field reconstruction p(v | p(h | v)) = σ(σ(v·Wᵀ + c)·W + b), without a graph;
/// compared with the input by mse it is the reconstruction error of one Gibbs step.</para>
/// <para>Sampling: hⱼ = 1 when a uniform draw u &lt; p(hⱼ = 1 | v), as torch.bernoulli; the draws come from the
/// generator given to the constructor, registered as <see cref="Dropout"/>'s is, so a trainer reseeds it every epoch.
/// Initialization: W ~ N(0, 0.01²), biases 0 (Hinton's practical guide, section 8).</para>
/// </remarks>
public sealed class RestrictedBoltzmannMachine : Module, IAddsLoss
{
    private readonly Generator _rng;
    private Tensor? _divergence;
    private Tensor? _chains;

    /// <param name="visible">V, the visible units.</param>
    /// <param name="hidden">H, the hidden units.</param>
    /// <param name="k">The Gibbs steps of each update.</param>
    /// <param name="rng">Draws the initial weights, then the Gibbs chains' units.</param>
    /// <param name="persistent">Persistent contrastive divergence: the chains continue across updates.</param>
    /// <exception cref="ArgumentOutOfRangeException">A size or k is below 1.</exception>
    public RestrictedBoltzmannMachine(int visible, int hidden, int k, Generator rng, bool persistent = false)
    {
        Persistent = persistent;
        ArgumentOutOfRangeException.ThrowIfLessThan(visible, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentNullException.ThrowIfNull(rng);
        K = k;
        Weight = Register("weight", Tensor.Normal([hidden, visible], 0, 0.01f, rng));
        VisibleBias = Register("visible_bias", Tensor.Zeros([visible]));
        HiddenBias = Register("hidden_bias", Tensor.Zeros([hidden]));
        _rng = RegisterGenerator(rng);
    }

    /// <summary>W [hidden, visible].</summary>
    public Parameter Weight { get; }

    /// <summary>b [visible].</summary>
    public Parameter VisibleBias { get; }

    /// <summary>c [hidden].</summary>
    public Parameter HiddenBias { get; }

    /// <summary>The Gibbs steps of each CD-k update.</summary>
    public int K { get; }

    /// <summary>Whether the Gibbs chains persist across updates (PCD-k) instead of starting at each batch (CD-k).</summary>
    public bool Persistent { get; }

    /// <summary>V, the number of visible units.</summary>
    public int Visible => Weight.Shape[1];

    /// <summary>H, the number of hidden units.</summary>
    public int Hidden => Weight.Shape[0];

    /// <summary>The visible batch of the last forward pass, which the free-energy and pseudo-likelihood metrics read.</summary>
    public Tensor? LastVisible { get; private set; }

    /// <summary>The reconstruction p(v | p(h | v)) of a batch v [B, V]; in training mode also the CD-k term (see the remarks).</summary>
    public override Tensor Forward(Tensor x)
    {
        if (x.Rank != 2 || x.Shape[1] != Visible)
        {
            throw new ArgumentException($"RestrictedBoltzmannMachine: expected visible units [batch, {Visible}], got {Shapes.Format(x.Shape)}.", nameof(x));
        }
        LastVisible = x;
        Tensor reconstruction, negative;
        using (Graph.NoGrad())
        {
            reconstruction = VisibleProbabilities(HiddenProbabilities(x));
            negative = IsTraining ? Gibbs(Persistent ? ChainStart(x) : x, K, _rng) : x;
            if (IsTraining && Persistent)
            {
                negative.Data.CopyTo(_chains!.Data);
            }
        }
        if (IsTraining)
        {
            var divergence = ContrastiveDivergence(x, negative);
            _divergence = Ops.Sub(divergence, divergence.Detach());
        }
        return reconstruction;
    }

    /// <summary>
    /// Where a persistent update's chains start for the batch x: the first x.Shape[0] of the chains, which the first
    /// batch (or one larger than every batch before) starts at its data.
    /// </summary>
    private Tensor ChainStart(Tensor x)
    {
        int batch = x.Shape[0];
        if (_chains is null || _chains.Shape[0] < batch)
        {
            _chains = x.Clone();
        }
        return Ops.Slice(_chains, 0, 0, batch).Clone();
    }

    /// <inheritdoc/>
    public Tensor? TakeAddedLoss()
    {
        var term = _divergence;
        _divergence = null;
        return term;
    }

    /// <summary>p(h = 1 | v) = σ(v·Wᵀ + c): [B, V] → [B, H].</summary>
    public Tensor HiddenProbabilities(Tensor v) => Ops.Sigmoid(Ops.Linear(v, Weight, HiddenBias));

    /// <summary>p(v = 1 | h) = σ(h·W + b): [B, H] → [B, V].</summary>
    public Tensor VisibleProbabilities(Tensor h) => Ops.Sigmoid(Ops.Add(Ops.MatMul(h, Weight), VisibleBias));

    /// <summary>F(v) = −v·b − Σⱼ softplus(cⱼ + Wⱼ·v), per sample: [B, V] → [B], differentiable in W, b and c.</summary>
    public Tensor FreeEnergy(Tensor v)
    {
        var hidden = Ops.Sum(Ops.Softplus(Ops.Linear(v, Weight, HiddenBias)), 1);
        var visible = Ops.Sum(Ops.Mul(v, VisibleBias), 1);
        return Ops.Neg(Ops.Add(visible, hidden));
    }

    /// <summary>
    /// mean F(v₀) − mean F(v_k) over the batch: minimizing it with v_k held fixed (not differentiated) is CD-k
    /// (see the remarks); the value is the free-energy gap between the data and the chain's samples.
    /// </summary>
    public Tensor ContrastiveDivergence(Tensor data, Tensor negative) =>
        Ops.Sub(Ops.Mean(FreeEnergy(data)), Ops.Mean(FreeEnergy(negative.Detach())));

    /// <summary>
    /// One step of block Gibbs sampling from v with given uniform draws: hⱼ = 1 where u_h &lt; p(hⱼ | v), then
    /// vᵢ = 1 where u_v &lt; p(vᵢ | h). u_h [B, H] and u_v [B, V] in [0, 1). Returns the new binary v.
    /// </summary>
    public Tensor GibbsStep(Tensor v, Tensor hiddenDraws, Tensor visibleDraws)
    {
        var h = Ops.Less(hiddenDraws, HiddenProbabilities(v));
        return Ops.Less(visibleDraws, VisibleProbabilities(h));
    }

    /// <summary><paramref name="steps"/> Gibbs steps from v, each drawing u_h [B, H] and then u_v [B, V] from <paramref name="rng"/>.</summary>
    public Tensor Gibbs(Tensor v, int steps, Generator rng)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(rng);
        int batch = v.Shape[0];
        for (int step = 0; step < steps; step++)
        {
            var hiddenDraws = Tensor.Uniform([batch, Hidden], 0, 1, rng);
            v = GibbsStep(v, hiddenDraws, Tensor.Uniform([batch, Visible], 0, 1, rng));
        }
        return v;
    }

    /// <summary>
    /// <paramref name="count"/> samples of the model: chains started from <paramref name="start"/> [count, V] (else from
    /// uniform noise v ~ Bernoulli(½)), run <paramref name="steps"/> Gibbs steps without a graph; returns the last step's
    /// visible probabilities p(v | h) [count, V], as RBM sample figures show them.
    /// </summary>
    public Tensor Sample(int count, int steps, Generator rng, Tensor? start = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentNullException.ThrowIfNull(rng);
        using var _ = Graph.NoGrad();
        var v = start ?? Tensor.Bernoulli([count, Visible], 0.5f, rng);
        if (v.Rank != 2 || v.Shape[0] != count || v.Shape[1] != Visible)
        {
            throw new ArgumentException($"RestrictedBoltzmannMachine: chains start from [{count}, {Visible}], got {Shapes.Format(v.Shape)}.", nameof(start));
        }
        v = Gibbs(v, steps - 1, rng);
        var h = Ops.Less(Tensor.Uniform([count, Hidden], 0, 1, rng), HiddenProbabilities(v));
        return VisibleProbabilities(h);
    }

    /// <summary>
    /// The stochastic pseudo-log-likelihood of each sample, as scikit-learn's BernoulliRBM.score_samples: for one visible
    /// unit i per sample, drawn from <paramref name="rng"/>, V · log σ(F(ṽ) − F(v)) with ṽ = v with unit i flipped
    /// (vᵢ → 1 − vᵢ). An estimate of Σᵢ log p(vᵢ | v₋ᵢ); [B, V] → [B], without a graph.
    /// </summary>
    public double[] PseudoLogLikelihood(Tensor v, Generator rng)
    {
        ArgumentNullException.ThrowIfNull(v);
        ArgumentNullException.ThrowIfNull(rng);
        using var _ = Graph.NoGrad();
        var pre = Ops.Linear(v, Weight, HiddenBias); // cⱼ + Wⱼ·v
        ReadOnlySpan<float> preValues = pre.Data, values = v.Data, weight = Weight.Data, visibleBias = VisibleBias.Data;
        int batch = v.Shape[0], hidden = Hidden, visible = Visible;
        var result = new double[batch];
        for (int n = 0; n < batch; n++)
        {
            int i = rng.NextInt(visible);
            double delta = 1 - 2.0 * values[n * visible + i]; // ṽᵢ − vᵢ
            // F(ṽ) − F(v) = −bᵢ·δ − Σⱼ [softplus(preⱼ + Wⱼᵢ·δ) − softplus(preⱼ)]
            double gap = -visibleBias[i] * delta;
            for (int j = 0; j < hidden; j++)
            {
                double a = preValues[n * hidden + j];
                gap -= Softplus(a + weight[j * visible + i] * delta) - Softplus(a);
            }
            result[n] = -visible * Softplus(-gap); // V · log σ(gap)
        }
        return result;
    }

    /// <summary>log(1 + eˣ) without overflow.</summary>
    private static double Softplus(double x) => x > 0 ? x + Math.Log(1 + Math.Exp(-x)) : Math.Log(1 + Math.Exp(x));

    public override string Describe() => $"RestrictedBoltzmannMachine({Visible} visible, {Hidden} hidden, k={K}{(Persistent ? ", persistent" : "")})";
}
