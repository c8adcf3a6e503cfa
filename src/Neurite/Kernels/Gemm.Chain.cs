using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Neurite.Kernels;

/// <summary>
/// One layer of <see cref="Gemm.AffineChain"/>: Output = Input·Weightᵀ + Bias, then max(·, 0) where
/// <see cref="Relu"/> is set; Weight is [Out, In] row-major (torch.nn.Linear's layout), Bias [Out] or null,
/// Output [rows, Out]. The pointers must stay valid (pinned) for the call.
/// </summary>
internal unsafe struct AffineLayer
{
    public float* Weight;
    public float* Bias;
    public float* Output;
    public int In;
    public int Out;
    public bool Relu;
}

public static partial class Gemm
{
    /// <summary>
    /// Columns of the narrow kernel's output (one Vector512): a layer with at most this many outputs, such as a
    /// classifier's 10, gets <see cref="NarrowAvx512"/> instead of 32-wide tiles two thirds empty.
    /// </summary>
    private const int NarrowWidth = 16;

    /// <summary>A chain of affine layers over the rows of one input, shared by the threads that run its slabs.</summary>
    private readonly unsafe struct ChainJob(float* input, AffineLayer* layers, int count, int rows, GemmPath path)
    {
        public readonly float* Input = input;
        public readonly AffineLayer* Layers = layers;
        public readonly int Count = count, Rows = rows;
        public readonly GemmPath Path = path;
    }

    /// <summary>
    /// Runs <paramref name="count"/> affine layers (+ ReLU) one after another on the <paramref name="rows"/> rows of
    /// <paramref name="input"/> (row-major, <c>layers[0].In</c> wide), each layer's input the previous one's output.
    /// With enough rows, each thread carries its own slab of rows through all layers, so that no thread waits for the
    /// others between layers and each reads activations it wrote itself; with few rows (batch-1 inference), each layer
    /// splits its columns between threads as <see cref="Multiply"/> does. Every element is computed with the same
    /// operations, in the same order, as the unfused sequence (bias copied into the output, <see cref="Multiply"/>
    /// with beta 1, then ReLU as TensorPrimitives.Max(x, 0)), so that the results are bit for bit the same.
    /// </summary>
    internal static unsafe void AffineChain(int rows, float* input, AffineLayer* layers, int count)
    {
        var path = ActivePath;
        int tile = path switch
        {
            GemmPath.Avx512 => Avx512Kernel14x32.Mr,
            GemmPath.Avx2 => Avx2FmaKernel6x16.Mr,
            _ => ScalarKernel4x4.Mr,
        };
        long work = 0;
        for (int l = 0; l < count; l++)
        {
            work += (long)rows * layers[l].Out * layers[l].In;
        }
        var job = new ChainJob(input, layers, count, rows, path);
        // A slab of at least one whole tile of rows per thread; fewer rows leave the threads to each layer's columns.
        int threads = Math.Min(Parallelism.MaxThreads, rows / tile);
        if (threads >= 2 && work >= ParallelThreshold)
        {
            if (!Workers.TryRun(&ChainSlab, &job, rows, tile, threads))
            {
                ChainSlab(&job, 0, rows);
            }
            return;
        }
        for (int l = 0; l < count; l++)
        {
            ChainLayer(&job, l, 0, rows, shareColumns: true);
        }
    }

    private static unsafe void ChainSlab(void* state, int start, int end)
    {
        var job = (ChainJob*)state;
        for (int l = 0; l < job->Count; l++)
        {
            ChainLayer(job, l, start, end, shareColumns: false);
        }
    }

    /// <summary>
    /// Layer <paramref name="index"/> of the chain on rows [start, end): on this thread alone, or, with
    /// <paramref name="shareColumns"/>, on slabs of columns as <see cref="Multiply"/> splits them.
    /// </summary>
    private static unsafe void ChainLayer(ChainJob* job, int index, int start, int end, bool shareColumns)
    {
        var layer = job->Layers[index];
        float* x = (index == 0 ? job->Input : job->Layers[index - 1].Output) + (nint)start * layer.In;
        float* y = layer.Output + (nint)start * layer.Out;
        int rows = end - start;
        if (layer.Bias is not null)
        {
            var bias = new ReadOnlySpan<float>(layer.Bias, layer.Out);
            for (int r = 0; r < rows; r++)
            {
                bias.CopyTo(new Span<float>(y + (nint)r * layer.Out, layer.Out));
            }
        }
        var problem = new Problem(false, true, rows, layer.Out, layer.In, 1f, x, layer.In, layer.Weight, layer.In,
            layer.Bias is null ? 0f : 1f, y, layer.Out);
        // The unpacked or the packed loops, as Multiply would choose them for the whole batch: their sums differ in order.
        if (UseDirect(false, true, job->Rows, layer.Out, layer.In))
        {
            if (shareColumns)
            {
                RunDirect(problem);
            }
            else
            {
                Direct(problem, job->Path);
            }
        }
        else
        {
            switch (job->Path)
            {
                case GemmPath.Avx512 when layer.Out <= NarrowWidth:
                    NarrowAvx512(problem, Avx512Blocking.Kc);
                    break;
                case GemmPath.Avx512:
                    RunBlocked<Avx512Kernel14x32>(problem, Avx512Blocking, shareColumns);
                    break;
                case GemmPath.Avx2:
                    RunBlocked<Avx2FmaKernel6x16>(problem, Avx2Blocking, shareColumns);
                    break;
                default:
                    RunBlocked<ScalarKernel4x4>(problem, ScalarBlocking, shareColumns);
                    break;
            }
        }
        if (layer.Relu)
        {
            var output = new Span<float>(y, checked(rows * layer.Out));
            if (shareColumns)
            {
                Elementwise.Relu(output, output);
            }
            else
            {
                TensorPrimitives.Max(output, 0f, output);
            }
        }
    }

    private static void RunBlocked<TKernel>(Problem problem, Blocking blocking, bool shareColumns)
        where TKernel : struct, IGemmKernel
    {
        if (shareColumns)
        {
            Run<TKernel>(problem, blocking);
        }
        else
        {
            Blocked<TKernel>(problem, blocking);
        }
    }

    /// <summary>
    /// C = alpha·A·Bᵀ + beta·C for at most <see cref="NarrowWidth"/> columns of C: B (the layer's weight, stored
    /// n×k) is packed into k×16 panels per block of <paramref name="kcMax"/>, A is read in place, and four rows of C
    /// accumulate at once in one Vector512 each. The same sums, in the same order, as the 14×32 micro-kernel's edge
    /// tiles (one fused multiply-add per k, blocks of Kc merged by <see cref="MergeTile"/>), so the results are the
    /// packed path's to the bit.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void NarrowAvx512(Problem p, int kcMax)
    {
        kcMax = Math.Min(kcMax, p.K);
        float* packB = Rent(ref _packB, kcMax * NarrowWidth);
        float* tile = stackalloc float[4 * NarrowWidth];
        for (int pc = 0; pc < p.K; pc += kcMax)
        {
            int kc = Math.Min(kcMax, p.K - pc);
            // The first block of k applies the caller's beta; later blocks accumulate onto it.
            float beta = pc == 0 ? p.Beta : 1f;
            Pack(p.B + pc * p.BDepth, p.BColumn, p.BDepth, p.N, kc, NarrowWidth, packB);
            int i = 0;
            for (; i <= p.M - 4; i += 4)
            {
                float* a0 = p.A + i * p.ARow + pc * p.ADepth, a1 = a0 + p.ARow, a2 = a1 + p.ARow, a3 = a2 + p.ARow;
                Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                float* b = packB;
                for (nint q = 0; q < kc; q++, b += NarrowWidth)
                {
                    var bq = Vector512.Load(b);
                    nint at = q * p.ADepth;
                    s0 = Vector512.FusedMultiplyAdd(Vector512.Create(a0[at]), bq, s0);
                    s1 = Vector512.FusedMultiplyAdd(Vector512.Create(a1[at]), bq, s1);
                    s2 = Vector512.FusedMultiplyAdd(Vector512.Create(a2[at]), bq, s2);
                    s3 = Vector512.FusedMultiplyAdd(Vector512.Create(a3[at]), bq, s3);
                }
                s0.Store(tile);
                s1.Store(tile + NarrowWidth);
                s2.Store(tile + 2 * NarrowWidth);
                s3.Store(tile + 3 * NarrowWidth);
                MergeTile(tile, NarrowWidth, 4, p.N, p.C + i * p.Ldc, p.Ldc, p.Alpha, beta);
            }
            for (; i < p.M; i++)
            {
                float* a = p.A + i * p.ARow + pc * p.ADepth;
                Vector512<float> s = default;
                float* b = packB;
                for (nint q = 0; q < kc; q++, b += NarrowWidth)
                {
                    s = Vector512.FusedMultiplyAdd(Vector512.Create(a[q * p.ADepth]), Vector512.Load(b), s);
                }
                s.Store(tile);
                MergeTile(tile, NarrowWidth, 1, p.N, p.C + i * p.Ldc, p.Ldc, p.Alpha, beta);
            }
        }
    }
}
