using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>
/// Batch normalization (Ioffe and Szegedy, 2015) per channel C of an [N, C, …] input, as torch.nn's batch norm
/// layers: y = (x − μ) / √(σ² + ε)·γ + β. In training μ and σ² are the batch's (σ² biased, over N and the axes
/// after C) and the running estimates move by running = (1 − momentum)·running + momentum·batch, with the unbiased
/// batch variance; in evaluation the running estimates are used. <see cref="BatchNorm1d"/> and
/// <see cref="BatchNorm2d"/> differ only in the inputs they take; both compute through <see cref="Ops.BatchNorm"/>.
/// </summary>
/// <remarks>State dict, as PyTorch's: weight γ, bias β (when affine), running_mean, running_var, num_batches_tracked.</remarks>
public abstract class BatchNorm : Module
{
    protected BatchNorm(int numFeatures, float eps, float momentum, bool affine)
    {
        string name = GetType().Name;
        if (numFeatures < 1)
        {
            throw new ArgumentException($"{name}: numFeatures must be >= 1; got {numFeatures}.", nameof(numFeatures));
        }
        if (!(eps > 0))
        {
            throw new ArgumentException($"{name}: eps must be > 0; got {eps}.", nameof(eps));
        }
        if (!(momentum >= 0 && momentum <= 1))
        {
            throw new ArgumentException($"{name}: momentum must be in [0, 1]; got {momentum}.", nameof(momentum));
        }
        NumFeatures = numFeatures;
        Eps = eps;
        Momentum = momentum;
        if (affine)
        {
            Weight = Register("weight", Tensor.Ones([numFeatures]));
            Bias = Register("bias", Tensor.Zeros([numFeatures]));
        }
        RunningMean = RegisterBuffer("running_mean", Tensor.Zeros([numFeatures]));
        RunningVar = RegisterBuffer("running_var", Tensor.Ones([numFeatures]));
        NumBatchesTracked = RegisterBuffer("num_batches_tracked", Tensor.Scalar(0f));
    }

    public int NumFeatures { get; }

    public float Eps { get; }

    public float Momentum { get; }

    public Parameter? Weight { get; }

    public Parameter? Bias { get; }

    public Tensor RunningMean { get; }

    public Tensor RunningVar { get; }

    /// <summary>The training batches seen (PyTorch keeps it as int64; here a float scalar, exact up to 2²⁴).</summary>
    public Tensor NumBatchesTracked { get; }

    /// <summary>
    /// The ranks whose batches together are the batch this layer normalizes in training, as torch.nn.SyncBatchNorm
    /// (see <see cref="Ops.BatchNorm"/>); null: this process's batch alone. Evaluation uses the running estimates either way.
    /// </summary>
    public Distributed.ICommunicator? Communicator { get; set; }

    /// <summary>
    /// Makes every batch norm layer of <paramref name="model"/> synchronize its statistics over
    /// <paramref name="communicator"/>'s ranks, as torch.nn.SyncBatchNorm.convert_sync_batchnorm; returns how many it found.
    /// </summary>
    public static int ConvertSyncBatchNorm(Module model, Distributed.ICommunicator communicator)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(communicator);
        int found = 0;
        foreach (var layer in model.Modules().OfType<BatchNorm>())
        {
            layer.Communicator = communicator;
            found++;
        }
        return found;
    }

    /// <summary>Whether the module takes an input of this rank (batch axis included).</summary>
    protected abstract bool TakesRank(int rank);

    /// <summary>The inputs the module takes, for errors: "[N, 8] or [N, 8, L]".</summary>
    protected abstract string ExpectedInput { get; }

    public override Tensor Forward(Tensor x)
    {
        if (!TakesRank(x.Rank) || x.Shape[1] != NumFeatures)
        {
            throw new ArgumentException($"{Describe()}: expected input {ExpectedInput}; got {Shapes.Format(x.Shape)}.");
        }
        if (IsTraining && Communicator is null && x.Count / NumFeatures < 2)
        {
            throw new ArgumentException($"{Describe()}: training needs more than one value per channel; got input {Shapes.Format(x.Shape)}.");
        }
        var y = Ops.BatchNorm(x, RunningMean, RunningVar, Weight, Bias, IsTraining, Momentum, Eps, Communicator);
        if (IsTraining)
        {
            NumBatchesTracked.Data[0] += 1;
        }
        return y;
    }

    public override string Describe() =>
        $"{GetType().Name}({NumFeatures}, eps={Eps}, momentum={Momentum}, affine={Weight is not null}{(Communicator is null ? "" : ", synchronized")})";
}

/// <summary>Batch normalization over [N, C] or [N, C, L], as torch.nn.BatchNorm1d (see <see cref="BatchNorm"/>).</summary>
public sealed class BatchNorm1d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    : BatchNorm(numFeatures, eps, momentum, affine)
{
    protected override bool TakesRank(int rank) => rank is 2 or 3;

    protected override string ExpectedInput => $"[N, {NumFeatures}] or [N, {NumFeatures}, L]";
}

/// <summary>
/// Batch normalization over [N, C, H, W], as torch.nn.BatchNorm2d (see <see cref="BatchNorm"/>): the statistics of a
/// channel are over its N·H·W values.
/// </summary>
public sealed class BatchNorm2d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    : BatchNorm(numFeatures, eps, momentum, affine)
{
    protected override bool TakesRank(int rank) => rank == 4;

    protected override string ExpectedInput => $"[N, {NumFeatures}, H, W]";
}

/// <summary>
/// Layer normalization over the trailing axes (Ba et al., 2016), as torch.nn.LayerNorm:
/// y = (x − μ) / √(σ² + ε)·γ + β with μ and the biased σ² of each sample's last
/// len(normalizedShape) axes; the same computation in training and evaluation.
/// </summary>
public sealed class LayerNorm : Module
{
    private readonly int[] _normalizedShape;

    public LayerNorm(int[] normalizedShape, float eps = 1e-5f, bool elementwiseAffine = true)
    {
        if (normalizedShape.Length == 0 || normalizedShape.Any(size => size < 1))
        {
            throw new ArgumentException($"LayerNorm: normalizedShape must be a non-empty list of sizes >= 1; got {Shapes.Format(normalizedShape)}.", nameof(normalizedShape));
        }
        if (!(eps > 0))
        {
            throw new ArgumentException($"LayerNorm: eps must be > 0; got {eps}.", nameof(eps));
        }
        _normalizedShape = normalizedShape.ToArray();
        Eps = eps;
        if (elementwiseAffine)
        {
            Weight = Register("weight", Tensor.Ones(normalizedShape));
            Bias = Register("bias", Tensor.Zeros(normalizedShape));
        }
    }

    public LayerNorm(int normalizedSize, float eps = 1e-5f, bool elementwiseAffine = true)
        : this([normalizedSize], eps, elementwiseAffine)
    {
    }

    public float Eps { get; }

    public Parameter? Weight { get; }

    public Parameter? Bias { get; }

    public override Tensor Forward(Tensor x)
    {
        int k = _normalizedShape.Length;
        if (x.Rank < k || !x.Shape[^k..].SequenceEqual(_normalizedShape))
        {
            throw new ArgumentException($"{Describe()}: input {Shapes.Format(x.Shape)} does not end in {Shapes.Format(_normalizedShape)}.");
        }
        return Ops.LayerNorm(x, _normalizedShape, Weight, Bias, Eps);
    }

    public override string Describe() => $"LayerNorm({Shapes.Format(_normalizedShape)}, eps={Eps}, elementwise_affine={Weight is not null})";
}
