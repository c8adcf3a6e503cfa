using Neurite.Autograd;
using Neurite.Tensors;

namespace Neurite.NN;

/// <summary>
/// Batch normalization over [N, C] or [N, C, L] (Ioffe and Szegedy, 2015), as torch.nn.BatchNorm1d:
/// y = (x − μ) / √(σ² + ε)·γ + β per channel C. In training μ and σ² are the batch's (σ² biased)
/// and the running estimates move by running = (1 − momentum)·running + momentum·batch, with the
/// unbiased batch variance; in evaluation the running estimates are used.
/// </summary>
public sealed class BatchNorm1d : Module
{
    public BatchNorm1d(int numFeatures, float eps = 1e-5f, float momentum = 0.1f, bool affine = true)
    {
        if (numFeatures < 1)
        {
            throw new ArgumentException($"BatchNorm1d: numFeatures must be >= 1; got {numFeatures}.", nameof(numFeatures));
        }
        if (!(eps > 0))
        {
            throw new ArgumentException($"BatchNorm1d: eps must be > 0; got {eps}.", nameof(eps));
        }
        if (!(momentum >= 0 && momentum <= 1))
        {
            throw new ArgumentException($"BatchNorm1d: momentum must be in [0, 1]; got {momentum}.", nameof(momentum));
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

    public Tensor NumBatchesTracked { get; }

    public override Tensor Forward(Tensor x)
    {
        if (x.Rank is not (2 or 3) || x.Shape[1] != NumFeatures)
        {
            throw new ArgumentException($"{Describe()}: expected input [N, {NumFeatures}] or [N, {NumFeatures}, L]; got {Shapes.Format(x.Shape)}.");
        }
        int[] axes = x.Rank == 2 ? [0] : [0, 2];
        int[] channelShape = x.Rank == 2 ? [NumFeatures] : [NumFeatures, 1];
        Tensor mean, variance;
        if (IsTraining)
        {
            int count = x.Count / NumFeatures;
            if (count < 2)
            {
                throw new ArgumentException($"{Describe()}: training needs more than one value per channel; got input {Shapes.Format(x.Shape)}.");
            }
            mean = Ops.Mean(x, axes, keepDims: true);
            variance = Ops.Variance(x, axes, correction: 0, keepDims: true);
            UpdateRunningStatistics(mean, variance, count);
        }
        else
        {
            mean = Ops.Reshape(RunningMean, channelShape);
            variance = Ops.Reshape(RunningVar, channelShape);
        }
        var normalized = Ops.Div(Ops.Sub(x, mean), Ops.Sqrt(Ops.Add(variance, Eps)));
        if (Weight is null || Bias is null)
        {
            return normalized;
        }
        return Ops.Add(Ops.Mul(normalized, Ops.Reshape(Weight, channelShape)), Ops.Reshape(Bias, channelShape));
    }

    private void UpdateRunningStatistics(Tensor batchMean, Tensor batchVariance, int count)
    {
        var mean = RunningMean.Data;
        var variance = RunningVar.Data;
        var bm = batchMean.Data;
        var bv = batchVariance.Data;
        float unbiased = count / (count - 1f);
        for (int c = 0; c < NumFeatures; c++)
        {
            mean[c] = (1 - Momentum) * mean[c] + Momentum * bm[c];
            variance[c] = (1 - Momentum) * variance[c] + Momentum * bv[c] * unbiased;
        }
        NumBatchesTracked.Data[0] += 1;
    }

    public override string Describe() => $"BatchNorm1d({NumFeatures}, eps={Eps}, momentum={Momentum}, affine={Weight is not null})";
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
