using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Neurite.Kernels;

/// <summary>
/// A float vector of some width for kernels written once and compiled per width: <see cref="Lanes512"/>,
/// <see cref="Lanes256"/>, and <see cref="Lane"/> (one float), which also handles every tail.
/// </summary>
internal unsafe interface ILanes<TSelf>
    where TSelf : struct, ILanes<TSelf>
{
    static abstract int Count { get; }

    static abstract TSelf Load(float* source);

    static abstract TSelf Of(float value);

    /// <summary>a·b + c, fused where the hardware does it.</summary>
    static abstract TSelf MultiplyAdd(TSelf a, TSelf b, TSelf c);

    /// <summary>The smaller of each pair; NaN if either is NaN.</summary>
    static abstract TSelf Min(TSelf a, TSelf b);

    /// <summary>The larger of each pair; NaN if either is NaN.</summary>
    static abstract TSelf Max(TSelf a, TSelf b);

    /// <summary>Rounded to the nearest whole number, ties to even.</summary>
    static abstract TSelf Round(TSelf x);

    /// <summary>2ⁿ for whole n in [−126, 127], built from its exponent bits.</summary>
    static abstract TSelf Pow2(TSelf n);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a, TSelf b);

    static abstract TSelf operator *(TSelf a, TSelf b);

    static abstract TSelf operator /(TSelf a, TSelf b);

    void Store(float* destination);
}

/// <summary>Activations over any <see cref="ILanes{TSelf}"/> width, the same formula on every width.</summary>
internal static class LaneMath
{
    /// <summary>
    /// eˣ in float32 (Cephes' expf: x = n·ln 2 + r with |r| ≤ ½ ln 2, a degree-7 polynomial for eʳ, times 2ⁿ), within
    /// 2 ulp; x is clamped to [−87.3, 88.3] (below, eˣ is under float32's smallest normal anyway; above, it saturates
    /// at 2.2e38 instead of ∞), and NaN stays NaN. Measured at about half the cost of Vector512.Exp.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Exp<T>(T x)
        where T : struct, ILanes<T>
    {
        x = T.Min(T.Max(x, T.Of(-87.3f)), T.Of(88.3f));
        var n = T.Round(x * T.Of(1.44269504f));
        // r = x − n·ln 2, with ln 2 split in two so that n·ln2_hi is exact.
        var r = T.MultiplyAdd(n, T.Of(-0.693359375f), x);
        r = T.MultiplyAdd(n, T.Of(2.12194440e-4f), r);
        var p = T.Of(1.9875691500e-4f);
        p = T.MultiplyAdd(p, r, T.Of(1.3981999507e-3f));
        p = T.MultiplyAdd(p, r, T.Of(8.3334519073e-3f));
        p = T.MultiplyAdd(p, r, T.Of(4.1665795894e-2f));
        p = T.MultiplyAdd(p, r, T.Of(1.6666665459e-1f));
        p = T.MultiplyAdd(p, r, T.Of(5.0000001201e-1f));
        p = T.MultiplyAdd(p, r * r, r + T.Of(1f));
        return p * T.Pow2(n);
    }

    /// <summary>σ(x) = 1 / (1 + e^(−x)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sigmoid<T>(T x)
        where T : struct, ILanes<T> =>
        T.Of(1f) / (T.Of(1f) + Exp(T.Of(0f) - x));

    /// <summary>
    /// tanh(x) = 1 − 2 / (e^(2x) + 1), which saturates to ±1. Near 0 the subtraction leaves an absolute error
    /// of about 6e-8 (not a relative one), well inside the float32 tolerances a layer is held to.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Tanh<T>(T x)
        where T : struct, ILanes<T> =>
        T.Of(1f) - T.Of(2f) / (Exp(x + x) + T.Of(1f));
}

internal readonly unsafe struct Lanes512(Vector512<float> value) : ILanes<Lanes512>
{
    private readonly Vector512<float> _value = value;

    public static int Count => Vector512<float>.Count;

    public static Lanes512 Load(float* source) => new(Vector512.Load(source));

    public static Lanes512 Of(float value) => new(Vector512.Create(value));

    public static Lanes512 MultiplyAdd(Lanes512 a, Lanes512 b, Lanes512 c) => new(Vector512.FusedMultiplyAdd(a._value, b._value, c._value));

    public static Lanes512 Min(Lanes512 a, Lanes512 b) => new(Vector512.Min(a._value, b._value));

    public static Lanes512 Max(Lanes512 a, Lanes512 b) => new(Vector512.Max(a._value, b._value));

    public static Lanes512 Round(Lanes512 x) => new(Vector512.Round(x._value));

    public static Lanes512 Pow2(Lanes512 n) => new(Vector512.ShiftLeft(Vector512.ConvertToInt32(n._value) + Vector512.Create(127), 23).AsSingle());

    public static Lanes512 operator +(Lanes512 a, Lanes512 b) => new(a._value + b._value);

    public static Lanes512 operator -(Lanes512 a, Lanes512 b) => new(a._value - b._value);

    public static Lanes512 operator *(Lanes512 a, Lanes512 b) => new(a._value * b._value);

    public static Lanes512 operator /(Lanes512 a, Lanes512 b) => new(a._value / b._value);

    public void Store(float* destination) => _value.Store(destination);
}

internal readonly unsafe struct Lanes256(Vector256<float> value) : ILanes<Lanes256>
{
    private readonly Vector256<float> _value = value;

    public static int Count => Vector256<float>.Count;

    public static Lanes256 Load(float* source) => new(Vector256.Load(source));

    public static Lanes256 Of(float value) => new(Vector256.Create(value));

    public static Lanes256 MultiplyAdd(Lanes256 a, Lanes256 b, Lanes256 c) => new(Vector256.FusedMultiplyAdd(a._value, b._value, c._value));

    public static Lanes256 Min(Lanes256 a, Lanes256 b) => new(Vector256.Min(a._value, b._value));

    public static Lanes256 Max(Lanes256 a, Lanes256 b) => new(Vector256.Max(a._value, b._value));

    public static Lanes256 Round(Lanes256 x) => new(Vector256.Round(x._value));

    public static Lanes256 Pow2(Lanes256 n) => new(Vector256.ShiftLeft(Vector256.ConvertToInt32(n._value) + Vector256.Create(127), 23).AsSingle());

    public static Lanes256 operator +(Lanes256 a, Lanes256 b) => new(a._value + b._value);

    public static Lanes256 operator -(Lanes256 a, Lanes256 b) => new(a._value - b._value);

    public static Lanes256 operator *(Lanes256 a, Lanes256 b) => new(a._value * b._value);

    public static Lanes256 operator /(Lanes256 a, Lanes256 b) => new(a._value / b._value);

    public void Store(float* destination) => _value.Store(destination);
}

internal readonly unsafe struct Lane(float value) : ILanes<Lane>
{
    private readonly float _value = value;

    public static int Count => 1;

    public static Lane Load(float* source) => new(*source);

    public static Lane Of(float value) => new(value);

    public static Lane MultiplyAdd(Lane a, Lane b, Lane c) => new(MathF.FusedMultiplyAdd(a._value, b._value, c._value));

    public static Lane Min(Lane a, Lane b) => new(MathF.Min(a._value, b._value));

    public static Lane Max(Lane a, Lane b) => new(MathF.Max(a._value, b._value));

    public static Lane Round(Lane x) => new(MathF.Round(x._value));

    public static Lane Pow2(Lane n) => new(BitConverter.Int32BitsToSingle(((int)n._value + 127) << 23));

    public static Lane operator +(Lane a, Lane b) => new(a._value + b._value);

    public static Lane operator -(Lane a, Lane b) => new(a._value - b._value);

    public static Lane operator *(Lane a, Lane b) => new(a._value * b._value);

    public static Lane operator /(Lane a, Lane b) => new(a._value / b._value);

    public void Store(float* destination) => *destination = _value;
}
