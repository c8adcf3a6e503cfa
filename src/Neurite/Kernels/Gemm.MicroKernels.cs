using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Neurite.Kernels;

// Micro-kernels, fully unrolled over the tile so every accumulator lives in a register.

/// <summary>14×32 register block: 28 Vector512 accumulators, one broadcast of A per row and k.</summary>
internal readonly unsafe struct Avx512Kernel14x32 : IGemmKernel
{
    public static int Mr => 14;
    public static int Nr => 32;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector512<float> c0a = Vector512<float>.Zero, c0b = Vector512<float>.Zero;
        Vector512<float> c1a = Vector512<float>.Zero, c1b = Vector512<float>.Zero;
        Vector512<float> c2a = Vector512<float>.Zero, c2b = Vector512<float>.Zero;
        Vector512<float> c3a = Vector512<float>.Zero, c3b = Vector512<float>.Zero;
        Vector512<float> c4a = Vector512<float>.Zero, c4b = Vector512<float>.Zero;
        Vector512<float> c5a = Vector512<float>.Zero, c5b = Vector512<float>.Zero;
        Vector512<float> c6a = Vector512<float>.Zero, c6b = Vector512<float>.Zero;
        Vector512<float> c7a = Vector512<float>.Zero, c7b = Vector512<float>.Zero;
        Vector512<float> c8a = Vector512<float>.Zero, c8b = Vector512<float>.Zero;
        Vector512<float> c9a = Vector512<float>.Zero, c9b = Vector512<float>.Zero;
        Vector512<float> c10a = Vector512<float>.Zero, c10b = Vector512<float>.Zero;
        Vector512<float> c11a = Vector512<float>.Zero, c11b = Vector512<float>.Zero;
        Vector512<float> c12a = Vector512<float>.Zero, c12b = Vector512<float>.Zero;
        Vector512<float> c13a = Vector512<float>.Zero, c13b = Vector512<float>.Zero;
        for (; kc > 0; kc--)
        {
            Vector512<float> ba = Vector512.Load(b + 0);
            Vector512<float> bb = Vector512.Load(b + 16);
            Vector512<float> a0 = Vector512.Create(a[0]);
            c0a = Vector512.FusedMultiplyAdd(a0, ba, c0a);
            c0b = Vector512.FusedMultiplyAdd(a0, bb, c0b);
            Vector512<float> a1 = Vector512.Create(a[1]);
            c1a = Vector512.FusedMultiplyAdd(a1, ba, c1a);
            c1b = Vector512.FusedMultiplyAdd(a1, bb, c1b);
            Vector512<float> a2 = Vector512.Create(a[2]);
            c2a = Vector512.FusedMultiplyAdd(a2, ba, c2a);
            c2b = Vector512.FusedMultiplyAdd(a2, bb, c2b);
            Vector512<float> a3 = Vector512.Create(a[3]);
            c3a = Vector512.FusedMultiplyAdd(a3, ba, c3a);
            c3b = Vector512.FusedMultiplyAdd(a3, bb, c3b);
            Vector512<float> a4 = Vector512.Create(a[4]);
            c4a = Vector512.FusedMultiplyAdd(a4, ba, c4a);
            c4b = Vector512.FusedMultiplyAdd(a4, bb, c4b);
            Vector512<float> a5 = Vector512.Create(a[5]);
            c5a = Vector512.FusedMultiplyAdd(a5, ba, c5a);
            c5b = Vector512.FusedMultiplyAdd(a5, bb, c5b);
            Vector512<float> a6 = Vector512.Create(a[6]);
            c6a = Vector512.FusedMultiplyAdd(a6, ba, c6a);
            c6b = Vector512.FusedMultiplyAdd(a6, bb, c6b);
            Vector512<float> a7 = Vector512.Create(a[7]);
            c7a = Vector512.FusedMultiplyAdd(a7, ba, c7a);
            c7b = Vector512.FusedMultiplyAdd(a7, bb, c7b);
            Vector512<float> a8 = Vector512.Create(a[8]);
            c8a = Vector512.FusedMultiplyAdd(a8, ba, c8a);
            c8b = Vector512.FusedMultiplyAdd(a8, bb, c8b);
            Vector512<float> a9 = Vector512.Create(a[9]);
            c9a = Vector512.FusedMultiplyAdd(a9, ba, c9a);
            c9b = Vector512.FusedMultiplyAdd(a9, bb, c9b);
            Vector512<float> a10 = Vector512.Create(a[10]);
            c10a = Vector512.FusedMultiplyAdd(a10, ba, c10a);
            c10b = Vector512.FusedMultiplyAdd(a10, bb, c10b);
            Vector512<float> a11 = Vector512.Create(a[11]);
            c11a = Vector512.FusedMultiplyAdd(a11, ba, c11a);
            c11b = Vector512.FusedMultiplyAdd(a11, bb, c11b);
            Vector512<float> a12 = Vector512.Create(a[12]);
            c12a = Vector512.FusedMultiplyAdd(a12, ba, c12a);
            c12b = Vector512.FusedMultiplyAdd(a12, bb, c12b);
            Vector512<float> a13 = Vector512.Create(a[13]);
            c13a = Vector512.FusedMultiplyAdd(a13, ba, c13a);
            c13b = Vector512.FusedMultiplyAdd(a13, bb, c13b);
            a += 14;
            b += 32;
        }

        if (beta == 0)
        {
            (c0a * alpha).Store(c + 0 * ldc + 0);
            (c0b * alpha).Store(c + 0 * ldc + 16);
            (c1a * alpha).Store(c + 1 * ldc + 0);
            (c1b * alpha).Store(c + 1 * ldc + 16);
            (c2a * alpha).Store(c + 2 * ldc + 0);
            (c2b * alpha).Store(c + 2 * ldc + 16);
            (c3a * alpha).Store(c + 3 * ldc + 0);
            (c3b * alpha).Store(c + 3 * ldc + 16);
            (c4a * alpha).Store(c + 4 * ldc + 0);
            (c4b * alpha).Store(c + 4 * ldc + 16);
            (c5a * alpha).Store(c + 5 * ldc + 0);
            (c5b * alpha).Store(c + 5 * ldc + 16);
            (c6a * alpha).Store(c + 6 * ldc + 0);
            (c6b * alpha).Store(c + 6 * ldc + 16);
            (c7a * alpha).Store(c + 7 * ldc + 0);
            (c7b * alpha).Store(c + 7 * ldc + 16);
            (c8a * alpha).Store(c + 8 * ldc + 0);
            (c8b * alpha).Store(c + 8 * ldc + 16);
            (c9a * alpha).Store(c + 9 * ldc + 0);
            (c9b * alpha).Store(c + 9 * ldc + 16);
            (c10a * alpha).Store(c + 10 * ldc + 0);
            (c10b * alpha).Store(c + 10 * ldc + 16);
            (c11a * alpha).Store(c + 11 * ldc + 0);
            (c11b * alpha).Store(c + 11 * ldc + 16);
            (c12a * alpha).Store(c + 12 * ldc + 0);
            (c12b * alpha).Store(c + 12 * ldc + 16);
            (c13a * alpha).Store(c + 13 * ldc + 0);
            (c13b * alpha).Store(c + 13 * ldc + 16);
        }
        else
        {
            Vector512<float> vb = Vector512.Create(beta);
            Update(c + 0 * ldc + 0, c0a, alpha, vb);
            Update(c + 0 * ldc + 16, c0b, alpha, vb);
            Update(c + 1 * ldc + 0, c1a, alpha, vb);
            Update(c + 1 * ldc + 16, c1b, alpha, vb);
            Update(c + 2 * ldc + 0, c2a, alpha, vb);
            Update(c + 2 * ldc + 16, c2b, alpha, vb);
            Update(c + 3 * ldc + 0, c3a, alpha, vb);
            Update(c + 3 * ldc + 16, c3b, alpha, vb);
            Update(c + 4 * ldc + 0, c4a, alpha, vb);
            Update(c + 4 * ldc + 16, c4b, alpha, vb);
            Update(c + 5 * ldc + 0, c5a, alpha, vb);
            Update(c + 5 * ldc + 16, c5b, alpha, vb);
            Update(c + 6 * ldc + 0, c6a, alpha, vb);
            Update(c + 6 * ldc + 16, c6b, alpha, vb);
            Update(c + 7 * ldc + 0, c7a, alpha, vb);
            Update(c + 7 * ldc + 16, c7b, alpha, vb);
            Update(c + 8 * ldc + 0, c8a, alpha, vb);
            Update(c + 8 * ldc + 16, c8b, alpha, vb);
            Update(c + 9 * ldc + 0, c9a, alpha, vb);
            Update(c + 9 * ldc + 16, c9b, alpha, vb);
            Update(c + 10 * ldc + 0, c10a, alpha, vb);
            Update(c + 10 * ldc + 16, c10b, alpha, vb);
            Update(c + 11 * ldc + 0, c11a, alpha, vb);
            Update(c + 11 * ldc + 16, c11b, alpha, vb);
            Update(c + 12 * ldc + 0, c12a, alpha, vb);
            Update(c + 12 * ldc + 16, c12b, alpha, vb);
            Update(c + 13 * ldc + 0, c13a, alpha, vb);
            Update(c + 13 * ldc + 16, c13b, alpha, vb);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(float* c, Vector512<float> acc, float alpha, Vector512<float> beta) =>
        Vector512.FusedMultiplyAdd(beta, Vector512.Load(c), acc * alpha).Store(c);
}

/// <summary>6×16 register block: 12 Vector256 accumulators (of 16 ymm registers), FMA.</summary>
internal readonly unsafe struct Avx2FmaKernel6x16 : IGemmKernel
{
    public static int Mr => 6;
    public static int Nr => 16;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        Vector256<float> c0a = Vector256<float>.Zero, c0b = Vector256<float>.Zero;
        Vector256<float> c1a = Vector256<float>.Zero, c1b = Vector256<float>.Zero;
        Vector256<float> c2a = Vector256<float>.Zero, c2b = Vector256<float>.Zero;
        Vector256<float> c3a = Vector256<float>.Zero, c3b = Vector256<float>.Zero;
        Vector256<float> c4a = Vector256<float>.Zero, c4b = Vector256<float>.Zero;
        Vector256<float> c5a = Vector256<float>.Zero, c5b = Vector256<float>.Zero;
        for (; kc > 0; kc--)
        {
            Vector256<float> ba = Vector256.Load(b + 0);
            Vector256<float> bb = Vector256.Load(b + 8);
            Vector256<float> a0 = Vector256.Create(a[0]);
            c0a = Vector256.FusedMultiplyAdd(a0, ba, c0a);
            c0b = Vector256.FusedMultiplyAdd(a0, bb, c0b);
            Vector256<float> a1 = Vector256.Create(a[1]);
            c1a = Vector256.FusedMultiplyAdd(a1, ba, c1a);
            c1b = Vector256.FusedMultiplyAdd(a1, bb, c1b);
            Vector256<float> a2 = Vector256.Create(a[2]);
            c2a = Vector256.FusedMultiplyAdd(a2, ba, c2a);
            c2b = Vector256.FusedMultiplyAdd(a2, bb, c2b);
            Vector256<float> a3 = Vector256.Create(a[3]);
            c3a = Vector256.FusedMultiplyAdd(a3, ba, c3a);
            c3b = Vector256.FusedMultiplyAdd(a3, bb, c3b);
            Vector256<float> a4 = Vector256.Create(a[4]);
            c4a = Vector256.FusedMultiplyAdd(a4, ba, c4a);
            c4b = Vector256.FusedMultiplyAdd(a4, bb, c4b);
            Vector256<float> a5 = Vector256.Create(a[5]);
            c5a = Vector256.FusedMultiplyAdd(a5, ba, c5a);
            c5b = Vector256.FusedMultiplyAdd(a5, bb, c5b);
            a += 6;
            b += 16;
        }

        if (beta == 0)
        {
            (c0a * alpha).Store(c + 0 * ldc + 0);
            (c0b * alpha).Store(c + 0 * ldc + 8);
            (c1a * alpha).Store(c + 1 * ldc + 0);
            (c1b * alpha).Store(c + 1 * ldc + 8);
            (c2a * alpha).Store(c + 2 * ldc + 0);
            (c2b * alpha).Store(c + 2 * ldc + 8);
            (c3a * alpha).Store(c + 3 * ldc + 0);
            (c3b * alpha).Store(c + 3 * ldc + 8);
            (c4a * alpha).Store(c + 4 * ldc + 0);
            (c4b * alpha).Store(c + 4 * ldc + 8);
            (c5a * alpha).Store(c + 5 * ldc + 0);
            (c5b * alpha).Store(c + 5 * ldc + 8);
        }
        else
        {
            Vector256<float> vb = Vector256.Create(beta);
            Update(c + 0 * ldc + 0, c0a, alpha, vb);
            Update(c + 0 * ldc + 8, c0b, alpha, vb);
            Update(c + 1 * ldc + 0, c1a, alpha, vb);
            Update(c + 1 * ldc + 8, c1b, alpha, vb);
            Update(c + 2 * ldc + 0, c2a, alpha, vb);
            Update(c + 2 * ldc + 8, c2b, alpha, vb);
            Update(c + 3 * ldc + 0, c3a, alpha, vb);
            Update(c + 3 * ldc + 8, c3b, alpha, vb);
            Update(c + 4 * ldc + 0, c4a, alpha, vb);
            Update(c + 4 * ldc + 8, c4b, alpha, vb);
            Update(c + 5 * ldc + 0, c5a, alpha, vb);
            Update(c + 5 * ldc + 8, c5b, alpha, vb);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Update(float* c, Vector256<float> acc, float alpha, Vector256<float> beta) =>
        Vector256.FusedMultiplyAdd(beta, Vector256.Load(c), acc * alpha).Store(c);
}

/// <summary>4×4 register block of scalar accumulators: the portable fallback.</summary>
internal readonly unsafe struct ScalarKernel4x4 : IGemmKernel
{
    public static int Mr => 4;
    public static int Nr => 4;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(nint kc, float* a, float* b, float* c, nint ldc, float alpha, float beta)
    {
        float c0a = 0f, c0b = 0f, c0c = 0f, c0d = 0f;
        float c1a = 0f, c1b = 0f, c1c = 0f, c1d = 0f;
        float c2a = 0f, c2b = 0f, c2c = 0f, c2d = 0f;
        float c3a = 0f, c3b = 0f, c3c = 0f, c3d = 0f;
        for (; kc > 0; kc--)
        {
            float ba = b[0];
            float bb = b[1];
            float bc = b[2];
            float bd = b[3];
            float a0 = a[0];
            c0a += a0 * ba;
            c0b += a0 * bb;
            c0c += a0 * bc;
            c0d += a0 * bd;
            float a1 = a[1];
            c1a += a1 * ba;
            c1b += a1 * bb;
            c1c += a1 * bc;
            c1d += a1 * bd;
            float a2 = a[2];
            c2a += a2 * ba;
            c2b += a2 * bb;
            c2c += a2 * bc;
            c2d += a2 * bd;
            float a3 = a[3];
            c3a += a3 * ba;
            c3b += a3 * bb;
            c3c += a3 * bc;
            c3d += a3 * bd;
            a += 4;
            b += 4;
        }

        if (beta == 0)
        {
            c[0 * ldc + 0] = alpha * c0a;
            c[0 * ldc + 1] = alpha * c0b;
            c[0 * ldc + 2] = alpha * c0c;
            c[0 * ldc + 3] = alpha * c0d;
            c[1 * ldc + 0] = alpha * c1a;
            c[1 * ldc + 1] = alpha * c1b;
            c[1 * ldc + 2] = alpha * c1c;
            c[1 * ldc + 3] = alpha * c1d;
            c[2 * ldc + 0] = alpha * c2a;
            c[2 * ldc + 1] = alpha * c2b;
            c[2 * ldc + 2] = alpha * c2c;
            c[2 * ldc + 3] = alpha * c2d;
            c[3 * ldc + 0] = alpha * c3a;
            c[3 * ldc + 1] = alpha * c3b;
            c[3 * ldc + 2] = alpha * c3c;
            c[3 * ldc + 3] = alpha * c3d;
        }
        else
        {
            c[0 * ldc + 0] = alpha * c0a + beta * c[0 * ldc + 0];
            c[0 * ldc + 1] = alpha * c0b + beta * c[0 * ldc + 1];
            c[0 * ldc + 2] = alpha * c0c + beta * c[0 * ldc + 2];
            c[0 * ldc + 3] = alpha * c0d + beta * c[0 * ldc + 3];
            c[1 * ldc + 0] = alpha * c1a + beta * c[1 * ldc + 0];
            c[1 * ldc + 1] = alpha * c1b + beta * c[1 * ldc + 1];
            c[1 * ldc + 2] = alpha * c1c + beta * c[1 * ldc + 2];
            c[1 * ldc + 3] = alpha * c1d + beta * c[1 * ldc + 3];
            c[2 * ldc + 0] = alpha * c2a + beta * c[2 * ldc + 0];
            c[2 * ldc + 1] = alpha * c2b + beta * c[2 * ldc + 1];
            c[2 * ldc + 2] = alpha * c2c + beta * c[2 * ldc + 2];
            c[2 * ldc + 3] = alpha * c2d + beta * c[2 * ldc + 3];
            c[3 * ldc + 0] = alpha * c3a + beta * c[3 * ldc + 0];
            c[3 * ldc + 1] = alpha * c3b + beta * c[3 * ldc + 1];
            c[3 * ldc + 2] = alpha * c3c + beta * c[3 * ldc + 2];
            c[3 * ldc + 3] = alpha * c3d + beta * c[3 * ldc + 3];
        }
    }
}
