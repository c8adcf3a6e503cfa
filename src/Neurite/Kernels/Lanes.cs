using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Neurite.Kernels;

/// <summary>
/// A float vector of some width for kernels written once and compiled per width: <see cref="Lanes512"/>,
/// <see cref="Lanes256"/>, and <see cref="Lane"/> (one float), which also handles every tail.
/// </summary>
/// <remarks>
/// The activations are written out per width on the raw vectors (the same formula, see <see cref="ExpPolynomial"/>):
/// composed from the wrapper's operators they were too many calls for the JIT's inlining budget, and ran as calls.
/// </remarks>
internal unsafe interface ILanes<TSelf>
    where TSelf : struct, ILanes<TSelf>
{
    static abstract int Count { get; }

    static abstract TSelf Load(float* source);

    static abstract TSelf Of(float value);

    /// <summary>eˣ by <see cref="ExpPolynomial"/>.</summary>
    static abstract TSelf Exp(TSelf x);

    /// <summary>σ(x) = 1 / (1 + e^(−x)).</summary>
    static abstract TSelf Sigmoid(TSelf x);

    /// <summary>
    /// tanh(x) = 1 − 2 / (e^(2x) + 1), which saturates to ±1. Near 0 the subtraction leaves an absolute error of about
    /// 6e-8 (not a relative one), well inside the float32 tolerances a layer is held to.
    /// </summary>
    static abstract TSelf Tanh(TSelf x);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a, TSelf b);

    static abstract TSelf operator *(TSelf a, TSelf b);

    static abstract TSelf operator /(TSelf a, TSelf b);

    void Store(float* destination);
}

/// <summary>
/// eˣ in float32 as Cephes' expf: x = n·ln 2 + r with |r| ≤ ½ ln 2, a degree-7 polynomial for eʳ, times 2ⁿ built from
/// its exponent bits; within 2 ulp. x is first clamped to [−87.3, 88.3] (below, eˣ is under float32's smallest normal
/// anyway; above, it saturates at 2.2e38 instead of ∞), NaN staying NaN. Measured at about half the cost of
/// Vector512.Exp.
/// </summary>
internal static class ExpPolynomial
{
    public const float Low = -87.3f, High = 88.3f, Log2E = 1.44269504f;

    /// <summary>−ln 2 split in two, so that n·ln2_high is exact.</summary>
    public const float MinusLn2High = -0.693359375f, MinusLn2Low = 2.12194440e-4f;

    public const float P0 = 1.9875691500e-4f, P1 = 1.3981999507e-3f, P2 = 8.3334519073e-3f, P3 = 4.1665795894e-2f,
        P4 = 1.6666665459e-1f, P5 = 5.0000001201e-1f;
}

internal readonly unsafe struct Lanes512(Vector512<float> value) : ILanes<Lanes512>
{
    private readonly Vector512<float> _value = value;

    public static int Count => Vector512<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Load(float* source) => new(Vector512.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Of(float value) => new(Vector512.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Exp(Lanes512 x) => new(ExpOf(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Sigmoid(Lanes512 x) => new(Vector512<float>.One / (Vector512<float>.One + ExpOf(-x._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 Tanh(Lanes512 x) =>
        new(Vector512<float>.One - Vector512.Create(2f) / (ExpOf(x._value + x._value) + Vector512<float>.One));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> ExpOf(Vector512<float> x)
    {
        x = Vector512.Min(Vector512.Max(x, Vector512.Create(ExpPolynomial.Low)), Vector512.Create(ExpPolynomial.High));
        var n = Vector512.Round(x * Vector512.Create(ExpPolynomial.Log2E));
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(ExpPolynomial.MinusLn2High), x);
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(ExpPolynomial.MinusLn2Low), r);
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(ExpPolynomial.P0), r, Vector512.Create(ExpPolynomial.P1));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(ExpPolynomial.P2));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(ExpPolynomial.P3));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(ExpPolynomial.P4));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(ExpPolynomial.P5));
        p = Vector512.FusedMultiplyAdd(p, r * r, r + Vector512<float>.One);
        return p * Vector512.ShiftLeft(Vector512.ConvertToInt32(n) + Vector512.Create(127), 23).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator +(Lanes512 a, Lanes512 b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator -(Lanes512 a, Lanes512 b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator *(Lanes512 a, Lanes512 b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes512 operator /(Lanes512 a, Lanes512 b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(float* destination) => _value.Store(destination);
}

internal readonly unsafe struct Lanes256(Vector256<float> value) : ILanes<Lanes256>
{
    private readonly Vector256<float> _value = value;

    public static int Count => Vector256<float>.Count;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Load(float* source) => new(Vector256.Load(source));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Of(float value) => new(Vector256.Create(value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Exp(Lanes256 x) => new(ExpOf(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Sigmoid(Lanes256 x) => new(Vector256<float>.One / (Vector256<float>.One + ExpOf(-x._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 Tanh(Lanes256 x) =>
        new(Vector256<float>.One - Vector256.Create(2f) / (ExpOf(x._value + x._value) + Vector256<float>.One));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> ExpOf(Vector256<float> x)
    {
        x = Vector256.Min(Vector256.Max(x, Vector256.Create(ExpPolynomial.Low)), Vector256.Create(ExpPolynomial.High));
        var n = Vector256.Round(x * Vector256.Create(ExpPolynomial.Log2E));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(ExpPolynomial.MinusLn2High), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(ExpPolynomial.MinusLn2Low), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(ExpPolynomial.P0), r, Vector256.Create(ExpPolynomial.P1));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(ExpPolynomial.P2));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(ExpPolynomial.P3));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(ExpPolynomial.P4));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(ExpPolynomial.P5));
        p = Vector256.FusedMultiplyAdd(p, r * r, r + Vector256<float>.One);
        return p * Vector256.ShiftLeft(Vector256.ConvertToInt32(n) + Vector256.Create(127), 23).AsSingle();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator +(Lanes256 a, Lanes256 b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator -(Lanes256 a, Lanes256 b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator *(Lanes256 a, Lanes256 b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lanes256 operator /(Lanes256 a, Lanes256 b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(float* destination) => _value.Store(destination);
}

internal readonly unsafe struct Lane(float value) : ILanes<Lane>
{
    private readonly float _value = value;

    public static int Count => 1;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane Load(float* source) => new(*source);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane Of(float value) => new(value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane Exp(Lane x) => new(ExpOf(x._value));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane Sigmoid(Lane x) => new(1f / (1f + ExpOf(-x._value)));

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane Tanh(Lane x) => new(1f - 2f / (ExpOf(x._value + x._value) + 1f));

    private static float ExpOf(float x)
    {
        x = MathF.Min(MathF.Max(x, ExpPolynomial.Low), ExpPolynomial.High);
        float n = MathF.Round(x * ExpPolynomial.Log2E);
        float r = MathF.FusedMultiplyAdd(n, ExpPolynomial.MinusLn2High, x);
        r = MathF.FusedMultiplyAdd(n, ExpPolynomial.MinusLn2Low, r);
        float p = MathF.FusedMultiplyAdd(ExpPolynomial.P0, r, ExpPolynomial.P1);
        p = MathF.FusedMultiplyAdd(p, r, ExpPolynomial.P2);
        p = MathF.FusedMultiplyAdd(p, r, ExpPolynomial.P3);
        p = MathF.FusedMultiplyAdd(p, r, ExpPolynomial.P4);
        p = MathF.FusedMultiplyAdd(p, r, ExpPolynomial.P5);
        p = MathF.FusedMultiplyAdd(p, r * r, r + 1f);
        // NaN reaches here only through p, whatever n's conversion gives.
        return p * BitConverter.Int32BitsToSingle(((int)n + 127) << 23);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane operator +(Lane a, Lane b) => new(a._value + b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane operator -(Lane a, Lane b) => new(a._value - b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane operator *(Lane a, Lane b) => new(a._value * b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Lane operator /(Lane a, Lane b) => new(a._value / b._value);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Store(float* destination) => *destination = _value;
}
