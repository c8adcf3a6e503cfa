using Neurite.Tensors;

namespace Neurite.Autograd;

public static partial class Ops
{
    /// <summary>
    /// Batch normalization of x [N, C, …] per channel C, as torch.nn.functional.batch_norm:
    /// y = (x − μ)·γ/σ̂ + β with σ̂ = √(σ² + ε). With <paramref name="training"/>, μ and the biased σ² are the batch's,
    /// over the M = N·∏(trailing sizes) values of each channel, and the running estimates, when given, move in place
    /// by running = (1 − momentum)·running + momentum·batch, the variance's with the unbiased σ²·M/(M − 1); without,
    /// μ and σ² are the running estimates. <paramref name="weight"/> γ and <paramref name="bias"/> β are [C], or null
    /// for 1 and 0.
    /// </summary>
    /// <remarks>
    /// Backward (Ioffe and Szegedy, 2015, §3), with x̂ = (x − μ)/σ̂: ∂β = Σ g, ∂γ = Σ g·x̂, and with batch statistics
    /// ∂x = γ/σ̂·(g − Σg/M − x̂·Σ(g·x̂)/M), since μ and σ² depend on x; with running statistics ∂x = γ/σ̂·g.
    /// <para>With a <paramref name="communicator"/> and <paramref name="training"/>, as torch.nn.SyncBatchNorm, the
    /// batch is the union of every rank's x: μ, σ² and M are over all of them (each rank's M, μ and σ² are gathered and
    /// combined), and backward sums Σg and Σg·x̂ over the ranks before forming ∂x, so that N ranks at batch B compute
    /// what one process computes at batch N·B. ∂γ and ∂β stay this rank's share, to be summed with the other gradients
    /// (<see cref="Distributed.DataParallel"/>). Every rank must call it, in the same order as its other collectives.</para>
    /// </remarks>
    /// <exception cref="ArgumentException">x has fewer than 2 axes, a per-channel tensor is not [C], evaluation has
    /// no running statistics, or training has a single value per channel.</exception>
    public static Tensor BatchNorm(Tensor x, Tensor? runningMean, Tensor? runningVar, Tensor? weight, Tensor? bias,
        bool training, float momentum = 0.1f, float eps = 1e-5f, Distributed.ICommunicator? communicator = null)
    {
        if (x.Rank < 2)
        {
            throw new ArgumentException($"{nameof(BatchNorm)}: expected input [N, C, …]; got {Shapes.Format(x.Shape)}.");
        }
        int n = x.Shape[0], channels = x.Shape[1], size = Product(x.ShapeArray, 2, x.Rank);
        foreach (var (name, tensor) in new[] { ("running_mean", runningMean), ("running_var", runningVar), ("weight", weight), ("bias", bias) })
        {
            if (tensor is not null && (tensor.Rank != 1 || tensor.Shape[0] != channels))
            {
                throw new ArgumentException($"{nameof(BatchNorm)}: {name} has shape {Shapes.Format(tensor.Shape)}, but input {Shapes.Format(x.Shape)} has {channels} channels.");
            }
        }
        if ((runningMean is null) != (runningVar is null))
        {
            throw new ArgumentException($"{nameof(BatchNorm)}: give both running_mean and running_var, or neither.");
        }
        var ranks = training && communicator is { Size: > 1 } ? communicator : null;
        long count = (long)n * size;
        var mean = new float[channels];
        var invStd = new float[channels];
        if (training)
        {
            var variance = new float[channels];
            if (ranks is not null)
            {
                count = GlobalMoments(x, n, channels, size, ranks, mean, variance);
            }
            if (count < 2)
            {
                throw new ArgumentException($"{nameof(BatchNorm)}: training needs more than one value per channel; got input {Shapes.Format(x.Shape)}{(ranks is null ? "" : $", {count} values per channel over {ranks.Size} ranks")}.");
            }
            if (ranks is null)
            {
                Kernels.Normalization.Moments(x.Data, n, channels, size, mean, variance);
            }
            if (runningMean is not null)
            {
                var rm = runningMean.Data;
                var rv = runningVar!.Data;
                float unbiased = count / (count - 1f);
                for (int c = 0; c < channels; c++)
                {
                    rm[c] = (1 - momentum) * rm[c] + momentum * mean[c];
                    rv[c] = (1 - momentum) * rv[c] + momentum * variance[c] * unbiased;
                }
            }
            for (int c = 0; c < channels; c++)
            {
                invStd[c] = 1f / MathF.Sqrt(variance[c] + eps);
            }
        }
        else
        {
            if (runningMean is null)
            {
                throw new ArgumentException($"{nameof(BatchNorm)}: evaluation needs running_mean and running_var.");
            }
            runningMean.Data.CopyTo(mean);
            var rv = runningVar!.Data;
            for (int c = 0; c < channels; c++)
            {
                invStd[c] = 1f / MathF.Sqrt(rv[c] + eps);
            }
        }
        var scale = new float[channels];
        var shift = new float[channels];
        for (int c = 0; c < channels; c++)
        {
            scale[c] = weight is null ? invStd[c] : weight.Data[c] * invStd[c];
            shift[c] = bias is null ? 0f : bias.Data[c];
        }
        var y = Tensor.Empty(x.Shape);
        Kernels.Normalization.Normalize(x.Data, n, channels, size, mean, scale, shift, y.Data);

        Tensor[] inputs = [x, .. weight is null ? Array.Empty<Tensor>() : [weight], .. bias is null ? Array.Empty<Tensor>() : [bias]];
        return Graph.RecordOp(y, nameof(BatchNorm), inputs, g =>
        {
            var sumG = new float[channels];
            var dot = new float[channels];
            if ((training && x.RequiresGrad) || weight?.RequiresGrad == true || bias?.RequiresGrad == true)
            {
                Kernels.Normalization.BackwardSums(g.Data, x.Data, n, channels, size, mean, sumG, dot);
            }
            var grads = new Tensor?[inputs.Length];
            if (x.RequiresGrad)
            {
                var offset = new float[channels];
                var slope = new float[channels];
                if (training)
                {
                    // Σg and Σg·(x − μ) of the whole batch; this rank's own sums stay for ∂γ and ∂β below.
                    var (batchSumG, batchDot) = ranks is null ? (sumG, dot) : SumOverRanks(ranks, sumG, dot);
                    for (int c = 0; c < channels; c++)
                    {
                        offset[c] = batchSumG[c] / count;
                        slope[c] = batchDot[c] * invStd[c] * invStd[c] / count;
                    }
                }
                var dx = Tensor.Empty(x.Shape);
                Kernels.Normalization.InputGradient(g.Data, x.Data, n, channels, size, mean, offset, slope, scale, dx.Data);
                grads[0] = dx;
            }
            if (weight?.RequiresGrad == true)
            {
                var dWeight = new float[channels];
                for (int c = 0; c < channels; c++)
                {
                    dWeight[c] = dot[c] * invStd[c];
                }
                grads[1] = new Tensor(dWeight, [channels]);
            }
            if (bias?.RequiresGrad == true)
            {
                grads[^1] = new Tensor(sumG, [channels]);
            }
            return grads;
        });
    }

    /// <summary>
    /// The mean and biased variance per channel of the batch that is every rank's x together, and its size M per
    /// channel. As torch.nn.SyncBatchNorm, each rank's count, mean and variance are gathered (an all-reduce of a
    /// vector in which each rank fills its own slot) and combined exactly (Chan et al., 1979):
    /// μ = Σ nᵣμᵣ / M and σ² = Σ nᵣ(σᵣ² + (μᵣ − μ)²) / M, which a sum of x² would lose to cancellation.
    /// </summary>
    private static long GlobalMoments(Tensor x, int n, int channels, int size, Distributed.ICommunicator ranks, Span<float> mean, Span<float> variance)
    {
        int stride = 2 * channels + 1;
        var gathered = new double[ranks.Size * stride];
        var own = gathered.AsSpan(ranks.Rank * stride, stride);
        if (n > 0)
        {
            Kernels.Normalization.Moments(x.Data, n, channels, size, mean, variance);
            for (int c = 0; c < channels; c++)
            {
                (own[c], own[channels + c]) = (mean[c], variance[c]);
            }
        }
        own[^1] = (double)n * size;
        ranks.AllReduceSum(gathered);
        double total = 0;
        var sums = new double[channels];
        for (int r = 0; r < ranks.Size; r++)
        {
            double weight = gathered[r * stride + stride - 1];
            total += weight;
            for (int c = 0; c < channels; c++)
            {
                sums[c] += weight * gathered[r * stride + c];
            }
        }
        var squares = new double[channels];
        for (int r = 0; r < ranks.Size; r++)
        {
            double weight = gathered[r * stride + stride - 1];
            for (int c = 0; c < channels; c++)
            {
                double deviation = gathered[r * stride + c] - sums[c] / total;
                squares[c] += weight * (gathered[r * stride + channels + c] + deviation * deviation);
            }
        }
        for (int c = 0; c < channels; c++)
        {
            mean[c] = (float)(sums[c] / total);
            variance[c] = (float)(squares[c] / total);
        }
        return (long)total;
    }

    /// <summary>Σg and Σg·(x − μ) per channel summed over the ranks (batch norm's backward, as torch.nn.SyncBatchNorm).</summary>
    private static (float[] SumG, float[] Dot) SumOverRanks(Distributed.ICommunicator ranks, float[] sumG, float[] dot)
    {
        int channels = sumG.Length;
        var sums = new double[2 * channels];
        for (int c = 0; c < channels; c++)
        {
            (sums[c], sums[channels + c]) = (sumG[c], dot[c]);
        }
        ranks.AllReduceSum(sums);
        var (batchSumG, batchDot) = (new float[channels], new float[channels]);
        for (int c = 0; c < channels; c++)
        {
            (batchSumG[c], batchDot[c]) = ((float)sums[c], (float)sums[channels + c]);
        }
        return (batchSumG, batchDot);
    }

    /// <summary>
    /// Layer normalization over the trailing <paramref name="normalizedShape"/> axes, as torch.nn.functional.layer_norm:
    /// y = (x − μ)/√(σ² + ε)·γ + β with μ and the biased σ² of each sample's trailing values, γ (<paramref name="weight"/>)
    /// and β (<paramref name="bias"/>) shaped as normalizedShape, both or neither. One fused kernel pass per row
    /// (<see cref="Kernels.Normalization"/>); the backward keeps μ and 1/√(σ² + ε) per row.
    /// </summary>
    /// <exception cref="ArgumentException">x does not end in normalizedShape, or weight and bias are not both null or both of normalizedShape.</exception>
    public static Tensor LayerNorm(Tensor x, ReadOnlySpan<int> normalizedShape, Tensor? weight = null, Tensor? bias = null, float eps = 1e-5f)
    {
        int k = normalizedShape.Length;
        if (k == 0 || x.Rank < k || !x.Shape[^k..].SequenceEqual(normalizedShape))
        {
            throw new ArgumentException($"LayerNorm: input {Shapes.Format(x.Shape)} does not end in {Shapes.Format(normalizedShape)}.");
        }
        if ((weight is null) != (bias is null) || (weight is not null && !(Shapes.SameShape(weight.Shape, normalizedShape) && Shapes.SameShape(bias!.Shape, normalizedShape))))
        {
            throw new ArgumentException(
                $"LayerNorm: weight and bias must both be {Shapes.Format(normalizedShape)} or both absent; got {(weight is null ? "none" : Shapes.Format(weight.Shape))} and {(bias is null ? "none" : Shapes.Format(bias.Shape))}.");
        }
        int n = Product(x.ShapeArray, x.Rank - k, x.Rank), rows = Product(x.ShapeArray, 0, x.Rank - k);
        var y = Tensor.Empty(x.Shape);
        float[] mean = new float[rows], rstd = new float[rows];
        Kernels.Normalization.LayerNormForward(x.Data, rows, n, weight is null ? default : weight.Data, bias is null ? default : bias.Data, eps, y.Data, mean, rstd);
        Tensor[] inputs = weight is null ? [x] : [x, weight, bias!];
        return Graph.RecordOp(y, nameof(LayerNorm), inputs, g =>
        {
            var dx = x.RequiresGrad ? Tensor.Empty(x.Shape) : null;
            var dWeight = weight is { RequiresGrad: true } ? weight.GradientBuffer() : null;
            var dBias = bias is { RequiresGrad: true } ? bias.GradientBuffer() : null;
            Kernels.Normalization.LayerNormBackward(x.Data, rows, n, weight is null ? default : weight.Data, mean, rstd, g.Data,
                dx is null ? default : dx.Data, dWeight is null ? default : dWeight.Data, dBias is null ? default : dBias.Data, new float[2 * n]);
            return weight is null ? [dx] : [dx, dWeight, dBias];
        });
    }
}
