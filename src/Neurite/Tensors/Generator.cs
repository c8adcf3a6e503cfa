namespace Neurite.Tensors;

/// <summary>
/// A seeded random number generator that yields the same sequence for the same seed on every
/// machine and .NET version: xoshiro256** (Blackman and Vigna, 2018) seeded through SplitMix64.
/// </summary>
/// <remarks>Not thread-safe: give each thread its own generator.</remarks>
public sealed class Generator
{
    [ThreadStatic] private static Generator? _default;
    private ulong _s0, _s1, _s2, _s3;
    private double? _spareNormal;

    /// <summary>
    /// The generator a layer's initialization uses where none is given, one per thread, seeded with 0
    /// so that a program builds the same network on every run. Nothing in the library draws from it
    /// during training: modules that draw random numbers while running (dropout) take a generator
    /// explicitly, and a training run passes its own everywhere.
    /// </summary>
    public static Generator Default => _default ??= new Generator(0);

    /// <summary>A generator whose sequence is determined by <paramref name="seed"/>.</summary>
    public Generator(ulong seed) => Reseed(seed);

    /// <summary>The seed this generator started from, or was last reseeded with.</summary>
    public ulong Seed { get; private set; }

    /// <summary>Restarts the sequence from <paramref name="seed"/>: afterwards this generator draws what <c>new Generator(seed)</c> would.</summary>
    public void Reseed(ulong seed)
    {
        Seed = seed;
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
        _spareNormal = null;
    }

    private static ulong SplitMix64(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        ulong result = ulong.RotateLeft(_s1 * 5, 7) * 9;
        ulong t = _s1 << 17;
        _s2 ^= _s0;
        _s3 ^= _s1;
        _s1 ^= _s2;
        _s0 ^= _s3;
        _s2 ^= t;
        _s3 = ulong.RotateLeft(_s3, 45);
        return result;
    }

    /// <summary>A float uniform on [0, 1), with 24 random bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1f / (1 << 24));

    /// <summary>A double uniform on [0, 1), with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>An integer uniform on [0, <paramref name="maxExclusive"/>), without modulo bias.</summary>
    public int NextInt(int maxExclusive)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxExclusive);
        // Lemire's multiply-shift with rejection.
        ulong range = (ulong)maxExclusive;
        ulong threshold = (0UL - range) % range;
        while (true)
        {
            ulong product = (NextUInt64() >> 32) * range;
            if ((uint)product >= threshold)
            {
                return (int)(product >> 32);
            }
        }
    }

    /// <summary>A standard normal draw (Box–Muller; the second value of each pair is kept for the next call).</summary>
    public double NextNormal()
    {
        if (_spareNormal is double spare)
        {
            _spareNormal = null;
            return spare;
        }
        double u1 = 1.0 - NextDouble(); // in (0, 1], so the log is finite
        double u2 = NextDouble();
        double radius = Math.Sqrt(-2.0 * Math.Log(u1));
        _spareNormal = radius * Math.Sin(2.0 * Math.PI * u2);
        return radius * Math.Cos(2.0 * Math.PI * u2);
    }

    /// <summary>Fills <paramref name="destination"/> with draws uniform on [low, high).</summary>
    public void FillUniform(Span<float> destination, float low, float high)
    {
        if (!(low <= high) || !float.IsFinite(low) || !float.IsFinite(high))
        {
            throw new ArgumentException($"Uniform: bounds must be finite with low <= high; got low {low}, high {high}.");
        }
        float width = high - low;
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = low + width * NextFloat();
        }
    }

    /// <summary>Fills <paramref name="destination"/> with normal draws.</summary>
    public void FillNormal(Span<float> destination, float mean, float std)
    {
        if (!(std >= 0) || !float.IsFinite(std) || !float.IsFinite(mean))
        {
            throw new ArgumentException($"Normal: mean must be finite and std finite and >= 0; got mean {mean}, std {std}.");
        }
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)(mean + std * NextNormal());
        }
    }

    /// <summary>Fills <paramref name="destination"/> with 1 (probability p) or 0.</summary>
    public void FillBernoulli(Span<float> destination, float p)
    {
        if (!(p >= 0 && p <= 1))
        {
            throw new ArgumentException($"Bernoulli: p must be in [0, 1]; got {p}.");
        }
        for (int i = 0; i < destination.Length; i++)
        {
            destination[i] = NextFloat() < p ? 1f : 0f;
        }
    }

    /// <summary>A uniformly random permutation of 0 … n − 1 (Fisher–Yates).</summary>
    public int[] Permutation(int n)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }
        for (int i = n - 1; i > 0; i--)
        {
            int j = NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
