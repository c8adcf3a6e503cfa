using Neurite.Tensors;

namespace Neurite.Data;

/// <summary>
/// Random image augmentation for training batches [B, C, H, W], applied in place in this order:
/// a shift by (dy, dx) drawn uniformly from −<see cref="MaxShift"/> … <see cref="MaxShift"/> with
/// zero fill, a horizontal flip with probability <see cref="FlipProbability"/>, and Gaussian noise
/// N(0, <see cref="NoiseStd"/>²) added to every value. Shift and flip are drawn per sample and apply
/// to all its channels. The default does nothing.
/// </summary>
/// <remarks>
/// <para>The shift is torchvision's RandomCrop(size, padding=<see cref="MaxShift"/>) with zero fill: cropping an image of
/// its own size at offset (i, j) ∈ [0, 2p]² from the image padded by p on each side puts pixel (y + i − p, x + j − p)
/// at (y, x), which is a shift by (p − i, p − j), each uniform on −p … p. The flip is RandomHorizontalFlip(p). For each
/// sample the generator gives dy, then dx, then the flip's uniform draw (only the draws of the transforms asked for);
/// the noise is drawn after the whole batch's shifts and flips.</para>
/// <para>Values are in the units of the inputs (raw pixels 0 … 255 unless a preprocessor scaled them first).</para>
/// </remarks>
public sealed record Augmentation
{
    /// <summary>The largest shift, in pixels, along each axis (0: no shift).</summary>
    public int MaxShift
    {
        get;
        init => field = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(MaxShift), $"Augmentation: the shift must be >= 0 pixels; got {value}.");
    }

    /// <summary>The probability of a horizontal flip (0: never).</summary>
    public float FlipProbability
    {
        get;
        init => field = value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(FlipProbability), $"Augmentation: the flip probability must be in [0, 1]; got {value}.");
    }

    /// <summary>The standard deviation of the added Gaussian noise (0: none).</summary>
    public float NoiseStd
    {
        get;
        init => field = value >= 0 && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(NoiseStd), $"Augmentation: the noise σ must be finite and >= 0; got {value}.");
    }

    /// <summary>Whether shift or flip is asked, which need image samples [C, H, W].</summary>
    public bool NeedsImages => MaxShift > 0 || FlipProbability > 0;

    /// <summary>Throws unless samples of <paramref name="sampleShape"/> can be augmented.</summary>
    internal void Check(ReadOnlySpan<int> sampleShape)
    {
        if (NeedsImages && sampleShape.Length != 3)
        {
            throw new ArgumentException(
                $"Augmentation: shift and flip need image samples [C, H, W]; these samples are {Shapes.Format(sampleShape)}.");
        }
    }

    /// <summary>Augments <paramref name="images"/> [B, C, H, W] in place with draws from <paramref name="rng"/>.</summary>
    public void Apply(Tensor images, Generator rng)
    {
        if (images.Rank < 1)
        {
            throw new ArgumentException("Augmentation: expected a batch [B, …]; got a scalar.");
        }
        Check(images.Shape[1..]);
        var data = images.Data;
        if (NeedsImages)
        {
            int channels = images.Shape[1], height = images.Shape[2], width = images.Shape[3];
            int sampleSize = channels * height * width;
            var scratch = new float[sampleSize];
            for (int b = 0; b < images.Shape[0]; b++)
            {
                var sample = data.Slice(b * sampleSize, sampleSize);
                if (MaxShift > 0)
                {
                    int dy = rng.NextInt(2 * MaxShift + 1) - MaxShift;
                    int dx = rng.NextInt(2 * MaxShift + 1) - MaxShift;
                    Shift(sample, scratch, channels, height, width, dy, dx);
                }
                if (FlipProbability > 0 && rng.NextFloat() < FlipProbability)
                {
                    for (int row = 0; row < channels * height; row++)
                    {
                        sample.Slice(row * width, width).Reverse();
                    }
                }
            }
        }
        if (NoiseStd > 0)
        {
            for (int i = 0; i < data.Length; i++)
            {
                data[i] += (float)(NoiseStd * rng.NextNormal());
            }
        }
    }

    /// <summary>sample[c, y, x] ← sample[c, y − dy, x − dx], 0 where that lies outside the image.</summary>
    private static void Shift(Span<float> sample, float[] scratch, int channels, int height, int width, int dy, int dx)
    {
        sample.CopyTo(scratch);
        sample.Clear();
        int x0 = Math.Max(0, dx), x1 = Math.Min(width, width + dx);
        if (x0 >= x1)
        {
            return;
        }
        for (int c = 0; c < channels; c++)
        {
            for (int y = Math.Max(0, dy); y < Math.Min(height, height + dy); y++)
            {
                int to = (c * height + y) * width;
                int from = (c * height + y - dy) * width;
                scratch.AsSpan(from + x0 - dx, x1 - x0).CopyTo(sample.Slice(to + x0, x1 - x0));
            }
        }
    }
}
