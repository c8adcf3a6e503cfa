using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Neurite.Kernels;

/// <summary>How a convolution's products are computed.</summary>
internal enum ConvAlgorithm
{
    /// <summary>By the rule in <see cref="Convolution.UseDirect"/>.</summary>
    Auto,

    /// <summary>im2col and the packed <see cref="Gemm"/>.</summary>
    Im2Col,

    /// <summary>The direct kernel wherever it applies (stride 1), im2col elsewhere.</summary>
    Direct,
}

internal static unsafe partial class Convolution
{
    private const string AlgorithmVariable = "NEURITE_CONV_ALGORITHM";

    /// <summary>Output channels of one register tile of the direct kernel.</summary>
    private const int TileRows = 6;

    /// <summary>Output positions of one unit of work of the direct kernel: four Vector512, eight Vector256.</summary>
    private const int TileWidth = 64;

    /// <summary>Positions of the narrowest tile (one Vector512), so also the rounding of the wide rows.</summary>
    private const int TailWidth = 16;

    /// <summary>Below this many multiply–accumulates a batch-1 direct product stays on one thread (a hand-over costs ~10 µs).</summary>
    private const long DirectParallelThreshold = 200_000;

    /// <summary>
    /// Forces the algorithm of every later convolution in the process (tests, benchmarks); <see cref="ConvAlgorithm.Auto"/>
    /// unless NEURITE_CONV_ALGORITHM = auto|im2col|direct says otherwise at startup. The direct kernel's SIMD width
    /// follows <see cref="Gemm.ActivePath"/>.
    /// </summary>
    internal static ConvAlgorithm ForcedAlgorithm { get; set; } = ParseAlgorithmVariable(Environment.GetEnvironmentVariable(AlgorithmVariable));

    internal static ConvAlgorithm ParseAlgorithmVariable(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            return ConvAlgorithm.Auto;
        }
        if (!Enum.TryParse(value, ignoreCase: true, out ConvAlgorithm algorithm) || !Enum.IsDefined(algorithm))
        {
            throw new ArgumentException($"{AlgorithmVariable} = '{value}' is not one of auto, im2col, direct.");
        }
        return algorithm;
    }

    /// <summary>The most output channels per group measured faster on the direct kernel; above, im2col + GEMM is kept.</summary>
    private const int DirectMaxChannels = 64;

    /// <summary>
    /// Whether the product that writes <paramref name="outChannels"/> channels per group runs on the direct kernel:
    /// only at stride 1 (its rows of input must be contiguous), and by default up to <see cref="DirectMaxChannels"/>
    /// output channels, except a pointwise product (its image is already its im2col matrix). Measured on one thread,
    /// minimum of many runs (GFLOP/s, direct against im2col + GEMM): forward LeNet 1→6 5×5 at batch 8 56 against 20,
    /// 6→16 5×5 97 against 30; the small VGG's 1→32, 32→32, 32→64, 64→64 3×3 at batch 4 53, 157, 143, 145 against 45,
    /// 83, 93, 89; the input gradient of 32→32 148 against 95, of 64→64 143 against 134.
    /// </summary>
    internal static bool UseDirect(in ConvShape s, int outChannels) =>
        s.StrideH == 1 && s.StrideW == 1 && ForcedAlgorithm switch
        {
            ConvAlgorithm.Im2Col => false,
            ConvAlgorithm.Direct => true,
            _ => outChannels <= DirectMaxChannels && !s.IsPointwise,
        };

    /// <summary>
    /// One stride-1 correlation per group for the direct kernel:
    /// out[co, oh, ow] = Σ_{c, i, j} w[co, c, i, j]·in[c, oh − padTop + i·dh, ow − padLeft + j·dw] (+ bias[co]).
    /// Each input plane is copied, zero-padded, into rows of <see cref="Pitch"/> = outW + dw·(kw − 1) floats; output
    /// position (oh, ow) is then "wide" position p = oh·Pitch + ow, and tap (c, i, j) reads the padded input at
    /// p + Offsets[c, i, j]: contiguous in p, so a vector of positions is one load. The wide positions with ow ≥ outW
    /// wrap around a row; they are computed and dropped.
    /// </summary>
    private struct DirectJob
    {
        public int Batch, Groups, InChannels, InH, InW, OutChannels, OutH, OutW, PadTop, PadLeft;
        public int Pitch, Plane, Wide, WideRound, Blocks, Depth;
        public long InSize, OutSize;
        public float* Input, Output, Bias, Packed;
        public int* Offsets;
        public GemmPath Path;

        // One sample and group, for the tiles split between threads.
        public float* Padded, Scratch, Weights;
    }

    /// <summary>
    /// column = conv(image, weight) + bias on the direct kernel (<paramref name="transposed"/> false), or
    /// image = convᵀ(column, weight) + bias: at stride 1 a transposed convolution is the correlation of the column
    /// side, padded by d·(k − 1) − pad, with the kernel flipped and its two channel axes swapped.
    /// </summary>
    private static void ConvolveDirect(in ConvShape s, float* image, float* column, float* weight, float* bias, bool transposed)
    {
        var job = new DirectJob
        {
            Batch = s.Batch,
            Groups = s.Groups,
            Bias = bias,
            Path = Gemm.ActivePath,
            InChannels = transposed ? s.ColumnGroup : s.ImageGroup,
            InH = transposed ? s.ColumnH : s.ImageH,
            InW = transposed ? s.ColumnW : s.ImageW,
            OutChannels = transposed ? s.ImageGroup : s.ColumnGroup,
            OutH = transposed ? s.ImageH : s.ColumnH,
            OutW = transposed ? s.ImageW : s.ColumnW,
            PadTop = transposed ? s.DilationH * (s.KernelH - 1) - s.PadTop : s.PadTop,
            PadLeft = transposed ? s.DilationW * (s.KernelW - 1) - s.PadLeft : s.PadLeft,
            Input = transposed ? column : image,
            Output = transposed ? image : column,
        };
        job.Pitch = job.OutW + s.DilationW * (s.KernelW - 1);
        job.Plane = (job.OutH + s.DilationH * (s.KernelH - 1)) * job.Pitch;
        job.Wide = (job.OutH - 1) * job.Pitch + job.OutW;
        job.WideRound = (job.Wide + TailWidth - 1) / TailWidth * TailWidth;
        job.Blocks = (job.OutChannels + TileRows - 1) / TileRows;
        job.Depth = job.InChannels * s.KernelH * s.KernelW;
        job.InSize = (long)s.Groups * job.InChannels * job.InH * job.InW;
        job.OutSize = (long)s.Groups * job.OutChannels * job.OutH * job.OutW;
        if (job.OutH <= 0 || job.OutW <= 0 || s.Batch == 0)
        {
            return;
        }

        int packedLength = s.Groups * job.Blocks * job.Depth * TileRows;
        float[] packed = ArrayPool<float>.Shared.Rent(packedLength);
        int[] offsets = ArrayPool<int>.Shared.Rent(job.Depth);
        try
        {
            PackDirect(s, weight, transposed, job.Blocks, job.InChannels, job.OutChannels, packed);
            for (int c = 0, d = 0; c < job.InChannels; c++)
            {
                for (int i = 0; i < s.KernelH; i++)
                {
                    for (int j = 0; j < s.KernelW; j++, d++)
                    {
                        offsets[d] = c * job.Plane + i * s.DilationH * job.Pitch + j * s.DilationW;
                    }
                }
            }
            fixed (float* pp = packed)
            fixed (int* po = offsets)
            {
                job.Packed = pp;
                job.Offsets = po;
                int threads = Math.Min(Parallelism.MaxThreads, s.Batch);
                if (threads < 2 || !Workers.TryRun(&DirectSamples, &job, s.Batch, 1, threads))
                {
                    DirectSamples(&job, 0, s.Batch);
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(packed);
            ArrayPool<int>.Shared.Return(offsets);
        }
    }

    /// <summary>
    /// Packs each group's kernel as the direct kernel reads it: blocks of <see cref="TileRows"/> output channels, and in
    /// each block, for each tap (c, i, j), the block's weights side by side (zero past the last channel). The weight is
    /// [column channels, image channels / groups, kh, kw] either way; transposed, the direct kernel's input channels are
    /// its first axis and its taps are flipped.
    /// </summary>
    private static void PackDirect(in ConvShape s, float* weight, bool transposed, int blocks, int inChannels, int outChannels, float[] packed)
    {
        int kh = s.KernelH, kw = s.KernelW, area = kh * kw;
        int k = 0;
        for (int g = 0; g < s.Groups; g++)
        {
            for (int b = 0; b < blocks; b++)
            {
                for (int c = 0; c < inChannels; c++)
                {
                    for (int i = 0; i < kh; i++)
                    {
                        for (int j = 0; j < kw; j++)
                        {
                            for (int r = 0; r < TileRows; r++, k++)
                            {
                                int o = b * TileRows + r;
                                packed[k] = o >= outChannels ? 0f
                                    : transposed ? weight[((g * inChannels + c) * outChannels + o) * area + (kh - 1 - i) * kw + kw - 1 - j]
                                    : weight[((g * outChannels + o) * inChannels + c) * area + i * kw + j];
                            }
                        }
                    }
                }
            }
        }
    }

    /// <summary>Samples [start, end) of a direct job, one group after another; a single sample splits its tiles between threads.</summary>
    private static void DirectSamples(void* state, int start, int end)
    {
        var job = *(DirectJob*)state;
        int inPlane = job.InH * job.InW, outPlane = job.OutH * job.OutW;
        // Reads run past the last plane by less than one tail of positions.
        float[] padded = ArrayPool<float>.Shared.Rent(job.InChannels * job.Plane + TailWidth);
        float[] scratch = ArrayPool<float>.Shared.Rent(job.Blocks * TileRows * job.WideRound);
        try
        {
            fixed (float* pp = padded, ps = scratch)
            {
                job.Padded = pp;
                job.Scratch = ps;
                new Span<float>(pp + job.InChannels * job.Plane, TailWidth).Clear();
                int tiles = (job.WideRound + TileWidth - 1) / TileWidth;
                int threads = Math.Min(Parallelism.MaxThreads, tiles);
                bool split = job.Batch == 1 && threads > 1
                    && (long)job.OutChannels * job.Depth * job.Wide >= DirectParallelThreshold;
                for (int n = start; n < end; n++)
                {
                    for (int g = 0; g < job.Groups; g++)
                    {
                        float* input = job.Input + n * job.InSize + (long)g * job.InChannels * inPlane;
                        for (int c = 0; c < job.InChannels; c++)
                        {
                            Pad(input + (long)c * inPlane, job.InH, job.InW, pp + (long)c * job.Plane, job.Plane / job.Pitch, job.Pitch,
                                job.PadTop, job.PadLeft);
                        }
                        job.Weights = job.Packed + (long)g * job.Blocks * job.Depth * TileRows;
                        if (!split || !Workers.TryRun(&DirectTiles, &job, tiles, 1, threads))
                        {
                            DirectTiles(&job, 0, tiles);
                        }
                        int first = g * job.OutChannels;
                        float* output = job.Output + n * job.OutSize + (long)first * outPlane;
                        for (int o = 0; o < job.OutChannels; o++)
                        {
                            float value = job.Bias is null ? 0f : job.Bias[first + o];
                            for (int oh = 0; oh < job.OutH; oh++)
                            {
                                var to = new Span<float>(output + (long)o * outPlane + oh * job.OutW, job.OutW);
                                TensorPrimitives.Add(new ReadOnlySpan<float>(ps + (long)o * job.WideRound + oh * job.Pitch, job.OutW), value, to);
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(padded);
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// Copies a rows × pitch window of one plane, starting padTop rows above and padLeft columns left of it, zero
    /// outside the plane (a negative pad starts inside it).
    /// </summary>
    private static void Pad(float* plane, int height, int width, float* padded, int rows, int pitch, int padTop, int padLeft)
    {
        int left = Math.Clamp(padLeft, 0, pitch), count = Math.Clamp(width + padLeft, 0, pitch) - left;
        for (int y = 0; y < rows; y++, padded += pitch)
        {
            int source = y - padTop;
            if (source < 0 || source >= height || count <= 0)
            {
                new Span<float>(padded, pitch).Clear();
                continue;
            }
            new Span<float>(padded, left).Clear();
            new ReadOnlySpan<float>(plane + (long)source * width + left - padLeft, count).CopyTo(new Span<float>(padded + left, count));
            new Span<float>(padded + left + count, pitch - left - count).Clear();
        }
    }

    /// <summary>Tiles [start, end) of <see cref="TileWidth"/> wide positions, every block of output channels, into the scratch rows.</summary>
    private static void DirectTiles(void* state, int start, int end)
    {
        var job = (DirectJob*)state;
        int depth = job->Depth;
        nint ld = job->WideRound;
        int last = Math.Min(end * TileWidth, job->WideRound);
        for (int b = 0; b < job->Blocks; b++)
        {
            float* w = job->Weights + (long)b * depth * TileRows, y = job->Scratch + b * TileRows * ld;
            int p = start * TileWidth;
            switch (job->Path)
            {
                case GemmPath.Avx512:
                    for (; p + TileWidth <= last; p += TileWidth)
                    {
                        Tile512x4(job->Padded + p, w, job->Offsets, depth, y + p, ld);
                    }
                    for (; p < last; p += TailWidth)
                    {
                        Tile512x1(job->Padded + p, w, job->Offsets, depth, y + p, ld);
                    }
                    break;
                case GemmPath.Avx2:
                    for (; p < last; p += TailWidth)
                    {
                        Tile256x2(job->Padded + p, w, job->Offsets, depth, y + p, ld);
                    }
                    break;
                default:
                    for (; p < last; p += TailWidth)
                    {
                        TileScalar(job->Padded + p, w, job->Offsets, depth, y + p, ld);
                    }
                    break;
            }
        }
    }

    /// <summary>y[r, 0..64) = Σ_d w[d, r]·x[offsets[d] + 0..64) for the 6 rows of a block: 24 Vector512 accumulators.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512x4(float* x, float* w, int* offsets, int depth, float* y, nint ld)
    {
        Vector512<float> c00 = default, c01 = default, c02 = default, c03 = default;
        Vector512<float> c10 = default, c11 = default, c12 = default, c13 = default;
        Vector512<float> c20 = default, c21 = default, c22 = default, c23 = default;
        Vector512<float> c30 = default, c31 = default, c32 = default, c33 = default;
        Vector512<float> c40 = default, c41 = default, c42 = default, c43 = default;
        Vector512<float> c50 = default, c51 = default, c52 = default, c53 = default;
        for (int d = 0; d < depth; d++, w += TileRows)
        {
            float* xd = x + offsets[d];
            var b0 = Vector512.Load(xd);
            var b1 = Vector512.Load(xd + 16);
            var b2 = Vector512.Load(xd + 32);
            var b3 = Vector512.Load(xd + 48);
            var a = Vector512.Create(w[0]);
            c00 = Vector512.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector512.FusedMultiplyAdd(a, b1, c01);
            c02 = Vector512.FusedMultiplyAdd(a, b2, c02);
            c03 = Vector512.FusedMultiplyAdd(a, b3, c03);
            a = Vector512.Create(w[1]);
            c10 = Vector512.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector512.FusedMultiplyAdd(a, b1, c11);
            c12 = Vector512.FusedMultiplyAdd(a, b2, c12);
            c13 = Vector512.FusedMultiplyAdd(a, b3, c13);
            a = Vector512.Create(w[2]);
            c20 = Vector512.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector512.FusedMultiplyAdd(a, b1, c21);
            c22 = Vector512.FusedMultiplyAdd(a, b2, c22);
            c23 = Vector512.FusedMultiplyAdd(a, b3, c23);
            a = Vector512.Create(w[3]);
            c30 = Vector512.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector512.FusedMultiplyAdd(a, b1, c31);
            c32 = Vector512.FusedMultiplyAdd(a, b2, c32);
            c33 = Vector512.FusedMultiplyAdd(a, b3, c33);
            a = Vector512.Create(w[4]);
            c40 = Vector512.FusedMultiplyAdd(a, b0, c40);
            c41 = Vector512.FusedMultiplyAdd(a, b1, c41);
            c42 = Vector512.FusedMultiplyAdd(a, b2, c42);
            c43 = Vector512.FusedMultiplyAdd(a, b3, c43);
            a = Vector512.Create(w[5]);
            c50 = Vector512.FusedMultiplyAdd(a, b0, c50);
            c51 = Vector512.FusedMultiplyAdd(a, b1, c51);
            c52 = Vector512.FusedMultiplyAdd(a, b2, c52);
            c53 = Vector512.FusedMultiplyAdd(a, b3, c53);
        }
        c00.Store(y);
        c01.Store(y + 16);
        c02.Store(y + 32);
        c03.Store(y + 48);
        y += ld;
        c10.Store(y);
        c11.Store(y + 16);
        c12.Store(y + 32);
        c13.Store(y + 48);
        y += ld;
        c20.Store(y);
        c21.Store(y + 16);
        c22.Store(y + 32);
        c23.Store(y + 48);
        y += ld;
        c30.Store(y);
        c31.Store(y + 16);
        c32.Store(y + 32);
        c33.Store(y + 48);
        y += ld;
        c40.Store(y);
        c41.Store(y + 16);
        c42.Store(y + 32);
        c43.Store(y + 48);
        y += ld;
        c50.Store(y);
        c51.Store(y + 16);
        c52.Store(y + 32);
        c53.Store(y + 48);
    }

    /// <summary><see cref="Tile512x4"/> on 16 positions: the tail of a row of tiles.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile512x1(float* x, float* w, int* offsets, int depth, float* y, nint ld)
    {
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default;
        for (int d = 0; d < depth; d++, w += TileRows)
        {
            var b = Vector512.Load(x + offsets[d]);
            c0 = Vector512.FusedMultiplyAdd(Vector512.Create(w[0]), b, c0);
            c1 = Vector512.FusedMultiplyAdd(Vector512.Create(w[1]), b, c1);
            c2 = Vector512.FusedMultiplyAdd(Vector512.Create(w[2]), b, c2);
            c3 = Vector512.FusedMultiplyAdd(Vector512.Create(w[3]), b, c3);
            c4 = Vector512.FusedMultiplyAdd(Vector512.Create(w[4]), b, c4);
            c5 = Vector512.FusedMultiplyAdd(Vector512.Create(w[5]), b, c5);
        }
        c0.Store(y);
        c1.Store(y + ld);
        c2.Store(y + 2 * ld);
        c3.Store(y + 3 * ld);
        c4.Store(y + 4 * ld);
        c5.Store(y + 5 * ld);
    }

    /// <summary>The AVX2 tile: 6 rows × 16 positions in 12 Vector256 accumulators (of 16 registers).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile256x2(float* x, float* w, int* offsets, int depth, float* y, nint ld)
    {
        Vector256<float> c00 = default, c01 = default, c10 = default, c11 = default, c20 = default, c21 = default;
        Vector256<float> c30 = default, c31 = default, c40 = default, c41 = default, c50 = default, c51 = default;
        for (int d = 0; d < depth; d++, w += TileRows)
        {
            float* xd = x + offsets[d];
            var b0 = Vector256.Load(xd);
            var b1 = Vector256.Load(xd + 8);
            var a = Vector256.Create(w[0]);
            c00 = Vector256.FusedMultiplyAdd(a, b0, c00);
            c01 = Vector256.FusedMultiplyAdd(a, b1, c01);
            a = Vector256.Create(w[1]);
            c10 = Vector256.FusedMultiplyAdd(a, b0, c10);
            c11 = Vector256.FusedMultiplyAdd(a, b1, c11);
            a = Vector256.Create(w[2]);
            c20 = Vector256.FusedMultiplyAdd(a, b0, c20);
            c21 = Vector256.FusedMultiplyAdd(a, b1, c21);
            a = Vector256.Create(w[3]);
            c30 = Vector256.FusedMultiplyAdd(a, b0, c30);
            c31 = Vector256.FusedMultiplyAdd(a, b1, c31);
            a = Vector256.Create(w[4]);
            c40 = Vector256.FusedMultiplyAdd(a, b0, c40);
            c41 = Vector256.FusedMultiplyAdd(a, b1, c41);
            a = Vector256.Create(w[5]);
            c50 = Vector256.FusedMultiplyAdd(a, b0, c50);
            c51 = Vector256.FusedMultiplyAdd(a, b1, c51);
        }
        c00.Store(y);
        c01.Store(y + 8);
        c10.Store(y + ld);
        c11.Store(y + ld + 8);
        c20.Store(y + 2 * ld);
        c21.Store(y + 2 * ld + 8);
        c30.Store(y + 3 * ld);
        c31.Store(y + 3 * ld + 8);
        c40.Store(y + 4 * ld);
        c41.Store(y + 4 * ld + 8);
        c50.Store(y + 5 * ld);
        c51.Store(y + 5 * ld + 8);
    }

    /// <summary>The portable tile: 6 rows × 16 positions, one sum at a time.</summary>
    private static void TileScalar(float* x, float* w, int* offsets, int depth, float* y, nint ld)
    {
        for (int r = 0; r < TileRows; r++)
        {
            for (int p = 0; p < TailWidth; p++)
            {
                float sum = 0;
                for (int d = 0; d < depth; d++)
                {
                    sum += w[d * TileRows + r] * x[offsets[d] + p];
                }
                y[r * ld + p] = sum;
            }
        }
    }
}
