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

    static abstract TSelf Exp(TSelf x);

    static abstract TSelf operator +(TSelf a, TSelf b);

    static abstract TSelf operator -(TSelf a, TSelf b);

    static abstract TSelf operator *(TSelf a, TSelf b);

    static abstract TSelf operator /(TSelf a, TSelf b);

    void Store(float* destination);
}

/// <summary>Activations over any <see cref="ILanes{TSelf}"/> width.</summary>
internal static class LaneMath
{
    /// <summary>σ(x) = 1 / (1 + e^(−x)); e^(−x) = ∞ gives 0, not NaN.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sigmoid<T>(T x)
        where T : struct, ILanes<T> =>
        T.Of(1f) / (T.Of(1f) + T.Exp(T.Of(0f) - x));

    /// <summary>
    /// tanh(x) = 1 − 2 / (e^(2x) + 1): saturates to ±1 without ∞/∞. Near 0 the subtraction leaves an absolute error
    /// of about 6e-8 (not a relative one), well inside the float32 tolerances a layer is held to.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Tanh<T>(T x)
        where T : struct, ILanes<T> =>
        T.Of(1f) - T.Of(2f) / (T.Exp(x + x) + T.Of(1f));
}

internal readonly unsafe struct Lanes512(Vector512<float> value) : ILanes<Lanes512>
{
    private readonly Vector512<float> _value = value;

    public static int Count => Vector512<float>.Count;

    public static Lanes512 Load(float* source) => new(Vector512.Load(source));

    public static Lanes512 Of(float value) => new(Vector512.Create(value));

    public static Lanes512 Exp(Lanes512 x) => new(Vector512.Exp(x._value));

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

    public static Lanes256 Exp(Lanes256 x) => new(Vector256.Exp(x._value));

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

    public static Lane Exp(Lane x) => new(MathF.Exp(x._value));

    public static Lane operator +(Lane a, Lane b) => new(a._value + b._value);

    public static Lane operator -(Lane a, Lane b) => new(a._value - b._value);

    public static Lane operator *(Lane a, Lane b) => new(a._value * b._value);

    public static Lane operator /(Lane a, Lane b) => new(a._value / b._value);

    public void Store(float* destination) => *destination = _value;
}
