using System.Buffers;
using System.Numerics.Tensors;

namespace Neurite.Kernels;

/// <summary>
/// One 2-D convolution resolved to sizes, NCHW. The image side is the convolution's input (a transposed
/// convolution's output), the column side its output (a transposed convolution's input): the column side's positions
/// are the columns of the im2col matrix. The weight is [column channels, image channels / groups, kh, kw], PyTorch's
/// conv2d layout and, read the other way, conv_transpose2d's.
/// </summary>
internal readonly record struct ConvShape(
    int Batch, int Groups,
    int ImageChannels, int ImageH, int ImageW,
    int ColumnChannels, int ColumnH, int ColumnW,
    int KernelH, int KernelW, int StrideH, int StrideW, int PadTop, int PadLeft, int DilationH, int DilationW)
{
    /// <summary>Image channels of one group.</summary>
    public int ImageGroup => ImageChannels / Groups;

    /// <summary>Column channels of one group.</summary>
    public int ColumnGroup => ColumnChannels / Groups;

    /// <summary>Rows of one group's im2col matrix (the GEMM depth of the forward product): image channels × kernel area.</summary>
    public int Depth => ImageGroup * KernelH * KernelW;

    /// <summary>Columns of the im2col matrix: positions of the column side.</summary>
    public int Positions => ColumnH * ColumnW;

    /// <summary>Elements of one sample on the image side.</summary>
    public int ImageSize => ImageChannels * ImageH * ImageW;

    /// <summary>Elements of one sample on the column side.</summary>
    public int ColumnSize => ColumnChannels * Positions;

    /// <summary>Elements of the weight.</summary>
    public int WeightSize => ColumnChannels * Depth;

    /// <summary>A 1×1 kernel at stride 1 without padding: the image is its own im2col matrix.</summary>
    public bool IsPointwise =>
        KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 && PadTop == 0 && PadLeft == 0
        && ImageH == ColumnH && ImageW == ColumnW;
}

/// <summary>
/// Convolution at stride 1 by a direct kernel (<see cref="UseDirect"/>, Convolution.Direct.cs), elsewhere by im2col
/// and the packed <see cref="Gemm"/>: per sample n and group g, the image's patches are copied
/// into the columns of a matrix (depth = channels·kh·kw rows, one column per output position), and
/// column[n, g] = W[g]·im2col(image[n, g]) is one product written straight into the NCHW result. The backward-data
/// product is W[g]ᵀ·column[n, g] (a transpose flag), scattered back by col2im; the weight gradient is
/// Σₙ column[n, g]·im2col(image[n, g])ᵀ. A transposed convolution runs the same three products with the roles swapped.
/// </summary>
/// <remarks>
/// Samples are split between threads (<see cref="Parallelism.MaxThreads"/>); the products inside then run on one
/// thread each. A batch of one leaves the threads to GEMM instead. The weight gradient sums the batch in a fixed
/// number of chunks, each with its own accumulator, added in chunk order: the result has the same bits on any number
/// of threads.
/// </remarks>
internal static unsafe partial class Convolution
{
    /// <summary>The weight gradient sums at most this many chunks of the batch (one accumulator each).</summary>
    private const int MaxChunks = 8;

    /// <summary>The accumulators of all chunks together hold at most this many floats (64 MiB).</summary>
    private const long MaxAccumulatorFloats = 16L * 1024 * 1024;

    /// <summary>What a job's slabs read and write; pointers stay valid while the caller waits for the slabs.</summary>
    private struct Job
    {
        public ConvShape Shape;
        public float* Image, Column, Weight, Bias, WeightGradient, Accumulators;
        public int ChunkSize;
    }

    /// <summary>column = conv(image, weight) + bias (bias may be empty): the convolution's forward product.</summary>
    public static void Convolve(in ConvShape s, ReadOnlySpan<float> image, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> column)
    {
        Check(s, image.Length, column.Length, weight.Length, bias.Length, s.ColumnChannels);
        fixed (float* pi = image, pc = column, pw = weight, pb = bias)
        {
            if (UseDirect(s, s.ColumnGroup))
            {
                ConvolveDirect(s, pi, pc, pw, bias.IsEmpty ? null : pb, transposed: false);
                return;
            }
            var job = new Job { Shape = s, Image = pi, Column = pc, Weight = pw, Bias = bias.IsEmpty ? null : pb };
            RunSamples(&ConvolveSamples, &job, s.Batch);
        }
    }

    /// <summary>
    /// image = convᵀ(column, weight) + bias (bias may be empty, else one value per image channel): the convolution's
    /// backward-data product, and a transposed convolution's forward.
    /// </summary>
    public static void ConvolveTransposed(in ConvShape s, ReadOnlySpan<float> column, ReadOnlySpan<float> weight, ReadOnlySpan<float> bias, Span<float> image)
    {
        Check(s, image.Length, column.Length, weight.Length, bias.Length, s.ImageChannels);
        fixed (float* pi = image, pc = column, pw = weight, pb = bias)
        {
            if (UseDirect(s, s.ImageGroup))
            {
                ConvolveDirect(s, pi, pc, pw, bias.IsEmpty ? null : pb, transposed: true);
                return;
            }
            var job = new Job { Shape = s, Image = pi, Column = pc, Weight = pw, Bias = bias.IsEmpty ? null : pb };
            RunSamples(&ConvolveTransposedSamples, &job, s.Batch);
        }
    }

    /// <summary>
    /// weightGradient = Σₙ column[n]·im2col(image[n])ᵀ per group: the gradient of the weight for the column-side
    /// gradient column (a convolution), or for the column-side input column and image-side gradient image (a
    /// transposed convolution). Overwrites weightGradient.
    /// </summary>
    public static void WeightGradient(in ConvShape s, ReadOnlySpan<float> image, ReadOnlySpan<float> column, Span<float> weightGradient)
    {
        Check(s, image.Length, column.Length, weightGradient.Length, 0, 0);
        if (s.Batch == 0)
        {
            weightGradient.Clear();
            return;
        }
        // Chunks do not depend on the thread count, so neither does the order of the sums.
        long bySize = Math.Max(1, MaxAccumulatorFloats / Math.Max(1, s.WeightSize));
        int chunks = (int)Math.Min(Math.Min(s.Batch, MaxChunks), bySize);
        int chunkSize = (s.Batch + chunks - 1) / chunks;
        chunks = (s.Batch + chunkSize - 1) / chunkSize;
        // Chunk 0 accumulates straight into the result; the others into a rented buffer.
        float[]? rented = chunks > 1 ? ArrayPool<float>.Shared.Rent((chunks - 1) * s.WeightSize) : null;
        try
        {
            fixed (float* pi = image, pc = column, pg = weightGradient, pa = rented)
            {
                var job = new Job { Shape = s, Image = pi, Column = pc, WeightGradient = pg, Accumulators = pa, ChunkSize = chunkSize };
                int threads = Math.Min(Parallelism.MaxThreads, chunks);
                delegate*<void*, int, int, void> body = UseDirectGradient(s, chunkSize) ? &WeightGradientDirectChunks : &WeightGradientChunks;
                if (threads < 2 || !Workers.TryRun(body, &job, s.Batch, chunkSize, threads))
                {
                    body(&job, 0, s.Batch);
                }
            }
            for (int c = 1; c < chunks; c++)
            {
                TensorPrimitives.Add(weightGradient, rented.AsSpan((c - 1) * s.WeightSize, s.WeightSize), weightGradient);
            }
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<float>.Shared.Return(rented);
            }
        }
    }

    /// <summary>biasGradient[c] = Σₙ Σₚ gradient[n, c, p] over a [batch, channels, positions] gradient, summed in a fixed order.</summary>
    public static void BiasGradient(ReadOnlySpan<float> gradient, int batch, int channels, int positions, Span<float> biasGradient)
    {
        if (gradient.Length != batch * channels * positions || biasGradient.Length != channels)
        {
            throw new ArgumentException(
                $"BiasGradient: gradient of {gradient.Length} elements and bias gradient of {biasGradient.Length} do not fit [{batch}, {channels}, {positions}].");
        }
        biasGradient.Clear();
        for (int n = 0; n < batch; n++)
        {
            for (int c = 0; c < channels; c++)
            {
                biasGradient[c] += TensorPrimitives.Sum(gradient.Slice((n * channels + c) * positions, positions));
            }
        }
    }

    /// <summary>Requires buffers that fit the shape; a bias is empty or has biasChannels elements.</summary>
    private static void Check(in ConvShape s, int image, int column, int weight, int bias, int biasChannels)
    {
        if (image != (long)s.Batch * s.ImageSize || column != (long)s.Batch * s.ColumnSize || weight != s.WeightSize
            || (bias != 0 && bias != biasChannels))
        {
            throw new ArgumentException(
                $"Convolution: buffers of {image}, {column}, {weight} and {bias} elements do not fit {s}.");
        }
    }

    /// <summary>Splits samples between threads when there are at least two; a single sample leaves them to GEMM.</summary>
    private static void RunSamples(delegate*<void*, int, int, void> body, Job* job, int batch)
    {
        int threads = Math.Min(Parallelism.MaxThreads, batch);
        if (threads < 2 || !Workers.TryRun(body, job, batch, 1, threads))
        {
            body(job, 0, batch);
        }
    }

    private static void ConvolveSamples(void* state, int start, int end)
    {
        var job = (Job*)state;
        var s = job->Shape;
        int depth = s.Depth, positions = s.Positions, og = s.ColumnGroup;
        float[]? scratch = s.IsPointwise ? null : ArrayPool<float>.Shared.Rent(depth * positions);
        try
        {
            fixed (float* columns = scratch)
            {
                for (int n = start; n < end; n++)
                {
                    float* image = job->Image + (long)n * s.ImageSize, output = job->Column + (long)n * s.ColumnSize;
                    Fill(output, job->Bias, s.ColumnChannels, positions);
                    for (int g = 0; g < s.Groups; g++)
                    {
                        float* imageGroup = image + (long)g * s.ImageGroup * s.ImageH * s.ImageW;
                        float* b = imageGroup;
                        if (!s.IsPointwise)
                        {
                            Im2Col(s, imageGroup, columns);
                            b = columns;
                        }
                        Gemm.Multiply(false, false, og, positions, depth, 1f,
                            new ReadOnlySpan<float>(job->Weight + (long)g * og * depth, og * depth), depth,
                            new ReadOnlySpan<float>(b, depth * positions), positions,
                            job->Bias is null ? 0f : 1f, new Span<float>(output + (long)g * og * positions, og * positions), positions);
                    }
                }
            }
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        }
    }

    private static void ConvolveTransposedSamples(void* state, int start, int end)
    {
        var job = (Job*)state;
        var s = job->Shape;
        int depth = s.Depth, positions = s.Positions, og = s.ColumnGroup, imagePlane = s.ImageH * s.ImageW;
        float[]? scratch = s.IsPointwise ? null : ArrayPool<float>.Shared.Rent(depth * positions);
        try
        {
            fixed (float* columns = scratch)
            {
                for (int n = start; n < end; n++)
                {
                    float* image = job->Image + (long)n * s.ImageSize, input = job->Column + (long)n * s.ColumnSize;
                    // col2im adds into the image, so it starts at the bias (or zero); so does a pointwise product.
                    Fill(image, job->Bias, s.ImageChannels, imagePlane);
                    for (int g = 0; g < s.Groups; g++)
                    {
                        float* imageGroup = image + (long)g * s.ImageGroup * imagePlane;
                        var a = new ReadOnlySpan<float>(job->Weight + (long)g * og * depth, og * depth);
                        var b = new ReadOnlySpan<float>(input + (long)g * og * positions, og * positions);
                        if (s.IsPointwise)
                        {
                            Gemm.Multiply(true, false, depth, positions, og, 1f, a, depth, b, positions,
                                1f, new Span<float>(imageGroup, depth * positions), positions);
                            continue;
                        }
                        Gemm.Multiply(true, false, depth, positions, og, 1f, a, depth, b, positions,
                            0f, new Span<float>(columns, depth * positions), positions);
                        Col2Im(s, columns, imageGroup);
                    }
                }
            }
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        }
    }

    /// <summary>Runs whole chunks of samples [start, end); chunk c accumulates into its own buffer (chunk 0 into the result).</summary>
    private static void WeightGradientChunks(void* state, int start, int end)
    {
        var job = (Job*)state;
        var s = job->Shape;
        int depth = s.Depth, positions = s.Positions, og = s.ColumnGroup;
        float[]? scratch = s.IsPointwise ? null : ArrayPool<float>.Shared.Rent(depth * positions);
        try
        {
            fixed (float* columns = scratch)
            {
                for (int first = start; first < end; first += job->ChunkSize)
                {
                    int chunk = first / job->ChunkSize;
                    float* accumulator = chunk == 0 ? job->WeightGradient : job->Accumulators + (long)(chunk - 1) * s.WeightSize;
                    int last = Math.Min(end, first + job->ChunkSize);
                    for (int n = first; n < last; n++)
                    {
                        float* image = job->Image + (long)n * s.ImageSize, gradient = job->Column + (long)n * s.ColumnSize;
                        for (int g = 0; g < s.Groups; g++)
                        {
                            float* b = image + (long)g * s.ImageGroup * s.ImageH * s.ImageW;
                            if (!s.IsPointwise)
                            {
                                Im2Col(s, b, columns);
                                b = columns;
                            }
                            // dW[g] (+)= dY[n, g]·colᵀ: [og, positions]·[positions, depth], the first sample overwrites.
                            Gemm.Multiply(false, true, og, depth, positions, 1f,
                                new ReadOnlySpan<float>(gradient + (long)g * og * positions, og * positions), positions,
                                new ReadOnlySpan<float>(b, depth * positions), positions,
                                n == first ? 0f : 1f, new Span<float>(accumulator + (long)g * og * depth, og * depth), depth);
                        }
                    }
                }
            }
        }
        finally
        {
            if (scratch is not null)
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        }
    }

    /// <summary>Sets each of the channels' planes to its bias value, or to zero without a bias.</summary>
    private static void Fill(float* data, float* bias, int channels, int plane)
    {
        for (int c = 0; c < channels; c++)
        {
            new Span<float>(data + (long)c * plane, plane).Fill(bias is null ? 0f : bias[c]);
        }
    }

    /// <summary>
    /// The output positions o in [0, count) whose input position o·stride + offset lies in [0, length): a range
    /// [start, end), empty when none does.
    /// </summary>
    private static (int Start, int End) Inside(int offset, int stride, int length, int count)
    {
        int start = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int end = length - 1 - offset < 0 ? 0 : Math.Min(count, (length - 1 - offset) / stride + 1);
        return (Math.Min(start, end), end);
    }

    /// <summary>
    /// Copies one group's image patches into columns: row (c, i, j) of the depth × positions matrix holds, at output
    /// position (oh, ow), image[c, oh·sh − pad_top + i·dh, ow·sw − pad_left + j·dw], or 0 in the padding.
    /// </summary>
    private static void Im2Col(in ConvShape s, float* image, float* columns)
    {
        int outH = s.ColumnH, outW = s.ColumnW, plane = s.ImageH * s.ImageW;
        float* row = columns;
        for (int c = 0; c < s.ImageGroup; c++)
        {
            for (int i = 0; i < s.KernelH; i++)
            {
                var (hStart, hEnd) = Inside(i * s.DilationH - s.PadTop, s.StrideH, s.ImageH, outH);
                for (int j = 0; j < s.KernelW; j++, row += outH * outW)
                {
                    int offsetW = j * s.DilationW - s.PadLeft;
                    var (wStart, wEnd) = Inside(offsetW, s.StrideW, s.ImageW, outW);
                    new Span<float>(row, hStart * outW).Clear();
                    for (int oh = hStart; oh < hEnd; oh++)
                    {
                        float* d = row + oh * outW;
                        float* src = image + (long)c * plane + (oh * s.StrideH + i * s.DilationH - s.PadTop) * s.ImageW + offsetW;
                        new Span<float>(d, wStart).Clear();
                        if (s.StrideW == 1)
                        {
                            new ReadOnlySpan<float>(src + wStart, wEnd - wStart).CopyTo(new Span<float>(d + wStart, wEnd - wStart));
                        }
                        else
                        {
                            for (int ow = wStart; ow < wEnd; ow++)
                            {
                                d[ow] = src[ow * s.StrideW];
                            }
                        }
                        new Span<float>(d + wEnd, outW - wEnd).Clear();
                    }
                    new Span<float>(row + hEnd * outW, (outH - hEnd) * outW).Clear();
                }
            }
        }
    }

    /// <summary>The adjoint of <see cref="Im2Col"/>: adds each column entry into the image position it was copied from.</summary>
    private static void Col2Im(in ConvShape s, float* columns, float* image)
    {
        int outH = s.ColumnH, outW = s.ColumnW, plane = s.ImageH * s.ImageW;
        float* row = columns;
        for (int c = 0; c < s.ImageGroup; c++)
        {
            for (int i = 0; i < s.KernelH; i++)
            {
                var (hStart, hEnd) = Inside(i * s.DilationH - s.PadTop, s.StrideH, s.ImageH, outH);
                for (int j = 0; j < s.KernelW; j++, row += outH * outW)
                {
                    int offsetW = j * s.DilationW - s.PadLeft;
                    var (wStart, wEnd) = Inside(offsetW, s.StrideW, s.ImageW, outW);
                    for (int oh = hStart; oh < hEnd; oh++)
                    {
                        float* src = row + oh * outW;
                        float* d = image + (long)c * plane + (oh * s.StrideH + i * s.DilationH - s.PadTop) * s.ImageW + offsetW;
                        if (s.StrideW == 1)
                        {
                            var target = new Span<float>(d + wStart, wEnd - wStart);
                            TensorPrimitives.Add(target, new ReadOnlySpan<float>(src + wStart, wEnd - wStart), target);
                        }
                        else
                        {
                            for (int ow = wStart; ow < wEnd; ow++)
                            {
                                d[ow * s.StrideW] += src[ow];
                            }
                        }
                    }
                }
            }
        }
    }
}
