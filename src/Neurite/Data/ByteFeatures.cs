using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Neurite.Data;

/// <summary>
/// Sample features kept as the unsigned bytes a file stores them in (IDX images: a quarter of their size as floats),
/// with the affine scaling fitted on them: value = (byte − shift[f]) / divisor[f] for feature f (or one shift and
/// divisor for all), evaluated in float as <see cref="Preprocessor.Affine(Tensors.Tensor, float[], float[], string)"/> evaluates it on the bytes read as floats,
/// so that the floats made for each batch are bit-identical to those of a scaled float copy of the whole set.
/// </summary>
internal sealed class ByteFeatures
{
    private readonly float[] _shift, _divisor;

    /// <summary>The value of each byte when one shift and divisor apply to every feature; null when they are per feature.</summary>
    private readonly float[]? _table;

    /// <summary>Bytes read as they are: value = byte.</summary>
    public ByteFeatures(byte[] values, int featureCount)
        : this(values, featureCount, [0f], [1f], raw: true)
    {
    }

    private ByteFeatures(byte[] values, int featureCount, float[] shift, float[] divisor, bool raw)
    {
        (Values, FeatureCount, _shift, _divisor, IsRaw) = (values, featureCount, shift, divisor, raw);
        if (shift.Length == 1)
        {
            _table = new float[256];
            for (int b = 0; b < _table.Length; b++)
            {
                _table[b] = (b - shift[0]) / divisor[0];
            }
        }
    }

    /// <summary>The bytes, [N · FeatureCount], row-major.</summary>
    public byte[] Values { get; }

    /// <summary>The values in one sample.</summary>
    public int FeatureCount { get; }

    /// <summary>Whether the values are the bytes themselves, unscaled.</summary>
    public bool IsRaw { get; }

    /// <summary>The same bytes with a scaling: shift and divisor hold one value for all features or one per feature.</summary>
    /// <exception cref="InvalidOperationException">The bytes are scaled already (two scalings are not one affine map, bit for bit).</exception>
    public ByteFeatures Scaled(float[] shift, float[] divisor) =>
        IsRaw ? new ByteFeatures(Values, FeatureCount, shift, divisor, raw: false)
            : throw new InvalidOperationException("ByteFeatures: the bytes are scaled already.");

    /// <summary>Other bytes under the same scaling (a subset's).</summary>
    public ByteFeatures WithValues(byte[] values) => new(values, FeatureCount, _shift, _divisor, IsRaw);

    /// <summary>The bytes of the samples at <paramref name="rows"/>, in that order.</summary>
    public byte[] Gather(ReadOnlySpan<int> rows)
    {
        var gathered = GC.AllocateUninitializedArray<byte>(rows.Length * FeatureCount);
        for (int k = 0; k < rows.Length; k++)
        {
            Values.AsSpan(rows[k] * FeatureCount, FeatureCount).CopyTo(gathered.AsSpan(k * FeatureCount));
        }
        return gathered;
    }

    /// <summary>destination row k = the values of sample rows[k] (indices checked by the caller).</summary>
    public void CopyRows(ReadOnlySpan<int> rows, Span<float> destination)
    {
        for (int k = 0; k < rows.Length; k++)
        {
            Convert(Values.AsSpan(rows[k] * FeatureCount, FeatureCount), destination.Slice(k * FeatureCount, FeatureCount));
        }
    }

    /// <summary>The values of every sample as floats, [N · FeatureCount].</summary>
    public float[] ToFloats()
    {
        var floats = GC.AllocateUninitializedArray<float>(Values.Length);
        for (int start = 0; start < Values.Length; start += FeatureCount)
        {
            Convert(Values.AsSpan(start, FeatureCount), floats.AsSpan(start, FeatureCount));
        }
        return floats;
    }

    /// <summary>
    /// destination[f] = (row[f] − shift) / divisor, eight at a time where AVX2 widens the bytes: the same float
    /// subtraction and division per element as the scalar loop and the table, so the same bits.
    /// </summary>
    private unsafe void Convert(ReadOnlySpan<byte> row, Span<float> destination)
    {
        int f = 0;
        if (Avx2.IsSupported && row.Length >= 8)
        {
            bool uniform = _table is not null;
            var shift = Vector256.Create(_shift[0]);
            var divisor = Vector256.Create(_divisor[0]);
            fixed (byte* source = row)
            fixed (float* target = destination, shifts = _shift, divisors = _divisor)
            {
                for (; f <= row.Length - 8; f += 8)
                {
                    var values = Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(source + f));
                    var scaled = uniform
                        ? Avx.Divide(Avx.Subtract(values, shift), divisor)
                        : Avx.Divide(Avx.Subtract(values, Avx.LoadVector256(shifts + f)), Avx.LoadVector256(divisors + f));
                    Avx.Store(target + f, scaled);
                }
            }
        }
        if (_table is { } table)
        {
            for (; f < row.Length; f++)
            {
                destination[f] = table[row[f]];
            }
            return;
        }
        for (; f < row.Length; f++)
        {
            destination[f] = (row[f] - _shift[f]) / _divisor[f];
        }
    }
}
