using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Neurite.Kernels;

internal static unsafe partial class Convolution
{
    /// <summary>Output channels and taps of one register tile of the direct weight gradient.</summary>
    private const int GradientRows = 4, GradientTaps = 4;

    /// <summary>
    /// The direct weight gradient keeps a vector of 16 partial sums per weight of a group while it runs through a chunk
    /// of samples, read and written once per sample and added up at the chunk's end: that pays where a sample has many
    /// positions to sum between (at least <see cref="DirectGradientMinPositions"/>) or a chunk has many samples (at
    /// least <see cref="DirectGradientMinChunk"/>), and while the partial sums stay in L2 (at most
    /// <see cref="DirectGradientMaxWeights"/> weights, 1 MiB of partial sums).
    /// </summary>
    private const int DirectGradientMinPositions = 256, DirectGradientMinChunk = 8, DirectGradientMaxWeights = 16384;

    /// <summary>
    /// Whether the weight gradient runs on the direct kernel: at stride 1, and by default by the limits above, for
    /// chunks of <paramref name="chunkSize"/> samples. Measured on one thread, minimum of many runs, fully optimized
    /// JIT (GFLOP/s, direct against im2col + GEMM): LeNet's 1→6 5×5 (784 positions) at batch 8 58 against 16; its 6→16
    /// 5×5 (64 positions) at batch 128 (chunks of 16) 49 against 21, but at batch 8 (chunks of 1) 24 against 34; the
    /// small VGG at batch 1: 1→32 3×3 (784 positions) 42 against 21, 32→32 93 against 80; at batch 4 (chunks of 1)
    /// 32→64 (196 positions) 42 against 104, 24→24 47 against 56.
    /// </summary>
    internal static bool UseDirectGradient(in ConvShape s, int chunkSize) =>
        s.StrideH == 1 && s.StrideW == 1 && s.Positions > 0 && ForcedAlgorithm switch
        {
            ConvAlgorithm.Im2Col => false,
            ConvAlgorithm.Direct => true,
            _ => (s.Positions >= DirectGradientMinPositions || chunkSize >= DirectGradientMinChunk)
                && s.ColumnGroup * s.Depth <= DirectGradientMaxWeights,
        };

    /// <summary>
    /// Whole chunks of samples [start, end) of the weight gradient on the direct kernel: with the image padded as in
    /// <see cref="ConvolveDirect"/> and the column-side gradient laid out on the same wide positions (zero on those that
    /// wrap around a row), dW[o, (c, i, j)] = Σₙ Σₚ dY[n, o, p]·padded[n, c, p + offset(c, i, j)], a dot product along
    /// the positions. Each weight keeps a vector of partial sums over the whole chunk, added up once at its end.
    /// </summary>
    private static void WeightGradientDirectChunks(void* state, int start, int end)
    {
        var job = (Job*)state;
        var s = job->Shape;
        int og = s.ColumnGroup, depth = s.Depth, channels = s.ImageGroup, imagePlane = s.ImageH * s.ImageW, positions = s.Positions;
        int pitch = s.ColumnW + s.DilationW * (s.KernelW - 1);
        int rows = s.ColumnH + s.DilationH * (s.KernelH - 1), plane = rows * pitch;
        int wide = (s.ColumnH - 1) * pitch + s.ColumnW, wideRound = (wide + TailWidth - 1) / TailWidth * TailWidth;
        int rowsPad = (og + GradientRows - 1) / GradientRows * GradientRows;
        int depthPad = (depth + GradientTaps - 1) / GradientTaps * GradientTaps;
        var path = Gemm.ActivePath;
        float[] padded = ArrayPool<float>.Shared.Rent(channels * plane + TailWidth);
        float[] gradient = ArrayPool<float>.Shared.Rent(rowsPad * wideRound);
        float[] sums = ArrayPool<float>.Shared.Rent(rowsPad * depthPad * TailWidth);
        int[] offsets = ArrayPool<int>.Shared.Rent(depthPad);
        try
        {
            fixed (float* px = padded, pg = gradient, ps = sums)
            fixed (int* po = offsets)
            {
                new Span<float>(px + channels * plane, TailWidth).Clear();
                // Only the valid positions are written below: the rest stays zero.
                new Span<float>(pg, rowsPad * wideRound).Clear();
                for (int c = 0, d = 0; c < channels; c++)
                {
                    for (int i = 0; i < s.KernelH; i++)
                    {
                        for (int j = 0; j < s.KernelW; j++, d++)
                        {
                            po[d] = c * plane + i * s.DilationH * pitch + j * s.DilationW;
                        }
                    }
                }
                // Taps past the last read the first one's positions; their sums are dropped.
                new Span<int>(po + depth, depthPad - depth).Clear();
                for (int first = start; first < end; first += job->ChunkSize)
                {
                    int chunk = first / job->ChunkSize;
                    float* accumulator = chunk == 0 ? job->WeightGradient : job->Accumulators + (long)(chunk - 1) * s.WeightSize;
                    int last = Math.Min(end, first + job->ChunkSize);
                    for (int g = 0; g < s.Groups; g++)
                    {
                        new Span<float>(ps, rowsPad * depthPad * TailWidth).Clear();
                        for (int n = first; n < last; n++)
                        {
                            float* image = job->Image + (long)n * s.ImageSize + (long)g * channels * imagePlane;
                            for (int c = 0; c < channels; c++)
                            {
                                Pad(image + (long)c * imagePlane, s.ImageH, s.ImageW, px + (long)c * plane, rows, pitch, s.PadTop, s.PadLeft);
                            }
                            float* dy = job->Column + (long)n * s.ColumnSize + (long)g * og * positions;
                            for (int o = 0; o < og; o++)
                            {
                                for (int oh = 0; oh < s.ColumnH; oh++)
                                {
                                    new ReadOnlySpan<float>(dy + (long)o * positions + oh * s.ColumnW, s.ColumnW)
                                        .CopyTo(new Span<float>(pg + (long)o * wideRound + oh * pitch, s.ColumnW));
                                }
                            }
                            GradientTiles(pg, wideRound, px, po, ps, rowsPad, depthPad, path);
                        }
                        float* result = accumulator + (long)g * og * depth;
                        for (int o = 0; o < og; o++)
                        {
                            for (int d = 0; d < depth; d++)
                            {
                                result[o * depth + d] = TensorPrimitives.Sum(new ReadOnlySpan<float>(ps + ((long)o * depthPad + d) * TailWidth, TailWidth));
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            ArrayPool<float>.Shared.Return(padded);
            ArrayPool<float>.Shared.Return(gradient);
            ArrayPool<float>.Shared.Return(sums);
            ArrayPool<int>.Shared.Return(offsets);
        }
    }

    /// <summary>Adds one sample's products into the partial sums of every tile of 4 output channels × 4 taps.</summary>
    private static void GradientTiles(float* gradient, int wideRound, float* padded, int* offsets, float* sums, int rowsPad, int depthPad, GemmPath path)
    {
        nint sumRow = (nint)depthPad * TailWidth;
        for (int o = 0; o < rowsPad; o += GradientRows)
        {
            float* dy = gradient + (long)o * wideRound;
            for (int d = 0; d < depthPad; d += GradientTaps)
            {
                float* tile = sums + o * sumRow + d * TailWidth;
                switch (path)
                {
                    case GemmPath.Avx512:
                        GradientTile512(dy, wideRound, padded, offsets + d, tile, sumRow, wideRound);
                        break;
                    case GemmPath.Avx2:
                        GradientTile256(dy, wideRound, padded, offsets + d, tile, sumRow, wideRound);
                        GradientTile256(dy, wideRound, padded, offsets + d + 2, tile + 2 * TailWidth, sumRow, wideRound);
                        break;
                    default:
                        GradientTileScalar(dy, wideRound, padded, offsets + d, tile, sumRow, wideRound);
                        break;
                }
            }
        }
    }

    /// <summary>sums[r, t] += Σₚ dy[r, p]·x[offsets[t] + p] over count positions, 4 × 4 Vector512 partial sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientTile512(float* dy, nint ld, float* x, int* offsets, float* sums, nint sumRow, int count)
    {
        float* s0 = sums, s1 = sums + sumRow, s2 = sums + 2 * sumRow, s3 = sums + 3 * sumRow;
        var a00 = Vector512.Load(s0); var a01 = Vector512.Load(s0 + 16); var a02 = Vector512.Load(s0 + 32); var a03 = Vector512.Load(s0 + 48);
        var a10 = Vector512.Load(s1); var a11 = Vector512.Load(s1 + 16); var a12 = Vector512.Load(s1 + 32); var a13 = Vector512.Load(s1 + 48);
        var a20 = Vector512.Load(s2); var a21 = Vector512.Load(s2 + 16); var a22 = Vector512.Load(s2 + 32); var a23 = Vector512.Load(s2 + 48);
        var a30 = Vector512.Load(s3); var a31 = Vector512.Load(s3 + 16); var a32 = Vector512.Load(s3 + 32); var a33 = Vector512.Load(s3 + 48);
        float* x0 = x + offsets[0], x1 = x + offsets[1], x2 = x + offsets[2], x3 = x + offsets[3];
        for (int p = 0; p < count; p += 16)
        {
            var b0 = Vector512.Load(x0 + p);
            var b1 = Vector512.Load(x1 + p);
            var b2 = Vector512.Load(x2 + p);
            var b3 = Vector512.Load(x3 + p);
            var y = Vector512.Load(dy + p);
            a00 = Vector512.FusedMultiplyAdd(y, b0, a00);
            a01 = Vector512.FusedMultiplyAdd(y, b1, a01);
            a02 = Vector512.FusedMultiplyAdd(y, b2, a02);
            a03 = Vector512.FusedMultiplyAdd(y, b3, a03);
            y = Vector512.Load(dy + ld + p);
            a10 = Vector512.FusedMultiplyAdd(y, b0, a10);
            a11 = Vector512.FusedMultiplyAdd(y, b1, a11);
            a12 = Vector512.FusedMultiplyAdd(y, b2, a12);
            a13 = Vector512.FusedMultiplyAdd(y, b3, a13);
            y = Vector512.Load(dy + 2 * ld + p);
            a20 = Vector512.FusedMultiplyAdd(y, b0, a20);
            a21 = Vector512.FusedMultiplyAdd(y, b1, a21);
            a22 = Vector512.FusedMultiplyAdd(y, b2, a22);
            a23 = Vector512.FusedMultiplyAdd(y, b3, a23);
            y = Vector512.Load(dy + 3 * ld + p);
            a30 = Vector512.FusedMultiplyAdd(y, b0, a30);
            a31 = Vector512.FusedMultiplyAdd(y, b1, a31);
            a32 = Vector512.FusedMultiplyAdd(y, b2, a32);
            a33 = Vector512.FusedMultiplyAdd(y, b3, a33);
        }
        a00.Store(s0); a01.Store(s0 + 16); a02.Store(s0 + 32); a03.Store(s0 + 48);
        a10.Store(s1); a11.Store(s1 + 16); a12.Store(s1 + 32); a13.Store(s1 + 48);
        a20.Store(s2); a21.Store(s2 + 16); a22.Store(s2 + 32); a23.Store(s2 + 48);
        a30.Store(s3); a31.Store(s3 + 16); a32.Store(s3 + 32); a33.Store(s3 + 48);
    }

    /// <summary>The AVX2 tile: 4 output channels × 2 taps, Vector256 partial sums in the first half of each weight's 16.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void GradientTile256(float* dy, nint ld, float* x, int* offsets, float* sums, nint sumRow, int count)
    {
        float* s0 = sums, s1 = sums + sumRow, s2 = sums + 2 * sumRow, s3 = sums + 3 * sumRow;
        var a00 = Vector256.Load(s0); var a01 = Vector256.Load(s0 + 16);
        var a10 = Vector256.Load(s1); var a11 = Vector256.Load(s1 + 16);
        var a20 = Vector256.Load(s2); var a21 = Vector256.Load(s2 + 16);
        var a30 = Vector256.Load(s3); var a31 = Vector256.Load(s3 + 16);
        float* x0 = x + offsets[0], x1 = x + offsets[1];
        for (int p = 0; p < count; p += 8)
        {
            var b0 = Vector256.Load(x0 + p);
            var b1 = Vector256.Load(x1 + p);
            var y = Vector256.Load(dy + p);
            a00 = Vector256.FusedMultiplyAdd(y, b0, a00);
            a01 = Vector256.FusedMultiplyAdd(y, b1, a01);
            y = Vector256.Load(dy + ld + p);
            a10 = Vector256.FusedMultiplyAdd(y, b0, a10);
            a11 = Vector256.FusedMultiplyAdd(y, b1, a11);
            y = Vector256.Load(dy + 2 * ld + p);
            a20 = Vector256.FusedMultiplyAdd(y, b0, a20);
            a21 = Vector256.FusedMultiplyAdd(y, b1, a21);
            y = Vector256.Load(dy + 3 * ld + p);
            a30 = Vector256.FusedMultiplyAdd(y, b0, a30);
            a31 = Vector256.FusedMultiplyAdd(y, b1, a31);
        }
        a00.Store(s0); a01.Store(s0 + 16);
        a10.Store(s1); a11.Store(s1 + 16);
        a20.Store(s2); a21.Store(s2 + 16);
        a30.Store(s3); a31.Store(s3 + 16);
    }

    /// <summary>The portable tile: 4 × 4 sums, one product at a time, kept in the first of each weight's 16 partial sums.</summary>
    private static void GradientTileScalar(float* dy, nint ld, float* x, int* offsets, float* sums, nint sumRow, int count)
    {
        for (int r = 0; r < GradientRows; r++)
        {
            for (int t = 0; t < GradientTaps; t++)
            {
                float sum = 0;
                float* xt = x + offsets[t];
                for (int p = 0; p < count; p++)
                {
                    sum += dy[r * ld + p] * xt[p];
                }
                sums[r * sumRow + t * TailWidth] += sum;
            }
        }
    }
}
