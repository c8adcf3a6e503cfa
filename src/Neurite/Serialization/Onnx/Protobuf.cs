using System.Buffers.Binary;
using System.Text;

namespace Neurite.Serialization;

/// <summary>The protobuf wire types (varint, 64-bit, length-delimited, 32-bit); groups (3, 4) are refused.</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    Length = 2,
    Fixed32 = 5,
}

/// <summary>A malformed protobuf message: what was wrong and the absolute byte offset where it was found.</summary>
internal sealed class ProtoException(long offset, string detail) : Exception($"{detail} at byte {offset}")
{
    public long Offset { get; } = offset;

    public string Detail { get; } = detail;
}

/// <summary>
/// Reads protobuf's wire format (https://protobuf.dev/programming-guides/encoding/) from memory: one message,
/// field by field. Every read is bounded by the bytes that are there, so a truncated or corrupt message throws
/// <see cref="ProtoException"/> with the offset, never reads past the end, and never allocates more than it read.
/// </summary>
internal sealed class ProtoReader
{
    /// <summary>Messages nest at most this deep (graphs inside attributes inside graphs …), so that recursion stays bounded.</summary>
    public const int MaxDepth = 64;

    private readonly ReadOnlyMemory<byte> _data;
    private readonly long _base;
    private int _position;

    public ProtoReader(ReadOnlyMemory<byte> data, long baseOffset = 0, int depth = 0)
    {
        if (depth > MaxDepth)
        {
            throw new ProtoException(baseOffset, $"messages nested more than {MaxDepth} deep");
        }
        _data = data;
        _base = baseOffset;
        Depth = depth;
    }

    public int Depth { get; }

    /// <summary>The absolute offset of the next byte.</summary>
    public long Offset => _base + _position;

    /// <summary>Reads the next field's tag; false at the end of the message.</summary>
    public bool Next(out int field, out WireType wire)
    {
        field = 0;
        wire = 0;
        if (_position >= _data.Length)
        {
            return false;
        }
        long start = Offset;
        ulong tag = Varint();
        if (tag >> 3 is 0 or > int.MaxValue)
        {
            throw new ProtoException(start, $"field number {tag >> 3} in a tag");
        }
        field = (int)(tag >> 3);
        int type = (int)(tag & 7);
        wire = type switch
        {
            0 => WireType.Varint,
            1 => WireType.Fixed64,
            2 => WireType.Length,
            5 => WireType.Fixed32,
            3 or 4 => throw new ProtoException(start, $"field {field} is a group (wire type {type}), which ONNX never uses"),
            _ => throw new ProtoException(start, $"field {field} has wire type {type}, which protobuf does not define"),
        };
        return true;
    }

    public ulong Varint()
    {
        long start = Offset;
        var span = _data.Span;
        ulong value = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_position >= span.Length)
            {
                throw new ProtoException(start, "truncated varint");
            }
            byte b = span[_position++];
            if (shift == 63 && b > 1)
            {
                throw new ProtoException(start, "varint longer than 64 bits");
            }
            value |= (ulong)(b & 0x7f) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }
        throw new ProtoException(start, "varint longer than 10 bytes");
    }

    public long Int64() => (long)Varint();

    /// <summary>An int32 field: a varint whose value fits 32 bits (negative ones are sign-extended to 64).</summary>
    public int Int32()
    {
        long start = Offset;
        long value = Int64();
        return value is >= int.MinValue and <= int.MaxValue ? (int)value : throw new ProtoException(start, $"int32 field holds {value}");
    }

    public float Float() => BinaryPrimitives.ReadSingleLittleEndian(Take(4, "a 32-bit value").Span);

    public double Double() => BinaryPrimitives.ReadDoubleLittleEndian(Take(8, "a 64-bit value").Span);

    /// <summary>A length-delimited field's bytes, and the absolute offset where they start.</summary>
    public ReadOnlyMemory<byte> Bytes(out long start)
    {
        long lengthAt = Offset;
        ulong length = Varint();
        if (length > (ulong)(_data.Length - _position))
        {
            throw new ProtoException(lengthAt, $"a length of {length} bytes where {_data.Length - _position} remain (truncated)");
        }
        start = Offset;
        return Take((int)length, "");
    }

    public ReadOnlyMemory<byte> Bytes() => Bytes(out _);

    /// <summary>A string field, which must be valid UTF-8.</summary>
    public string String()
    {
        var bytes = Bytes(out long start);
        try
        {
            return Strict.GetString(bytes.Span);
        }
        catch (DecoderFallbackException)
        {
            throw new ProtoException(start, "a string that is not valid UTF-8");
        }
    }

    /// <summary>A nested message, read by its own reader that reports absolute offsets.</summary>
    public ProtoReader Message()
    {
        var bytes = Bytes(out long start);
        return new ProtoReader(bytes, start, Depth + 1);
    }

    /// <summary>Skips a field this reader does not use.</summary>
    public void Skip(WireType wire)
    {
        switch (wire)
        {
            case WireType.Varint:
                Varint();
                break;
            case WireType.Fixed64:
                Take(8, "a 64-bit value");
                break;
            case WireType.Fixed32:
                Take(4, "a 32-bit value");
                break;
            default:
                Bytes();
                break;
        }
    }

    /// <summary>Fails unless the field has the wire type its message declares.</summary>
    public void Expect(WireType wire, WireType expected, int field, string message)
    {
        if (wire != expected)
        {
            throw new ProtoException(Offset, $"{message} field {field} has wire type {(int)wire}, expected {(int)expected}");
        }
    }

    /// <summary>A repeated varint field, packed (one length-delimited run) or not (one value per tag).</summary>
    public void Varints(WireType wire, List<long> values, int field, string message)
    {
        if (wire == WireType.Length)
        {
            var packed = Message();
            while (packed._position < packed._data.Length)
            {
                values.Add(packed.Int64());
            }
            return;
        }
        Expect(wire, WireType.Varint, field, message);
        values.Add(Int64());
    }

    /// <summary>A repeated float field, packed or not.</summary>
    public void Floats(WireType wire, List<float> values, int field, string message)
    {
        if (wire == WireType.Length)
        {
            var packed = Bytes(out long start);
            if (packed.Length % 4 != 0)
            {
                throw new ProtoException(start, $"{message} field {field} packs {packed.Length} bytes, not a whole number of floats");
            }
            for (int i = 0; i < packed.Length; i += 4)
            {
                values.Add(BinaryPrimitives.ReadSingleLittleEndian(packed.Span[i..]));
            }
            return;
        }
        Expect(wire, WireType.Fixed32, field, message);
        values.Add(Float());
    }

    /// <summary>A repeated double field, packed or not.</summary>
    public void Doubles(WireType wire, List<double> values, int field, string message)
    {
        if (wire == WireType.Length)
        {
            var packed = Bytes(out long start);
            if (packed.Length % 8 != 0)
            {
                throw new ProtoException(start, $"{message} field {field} packs {packed.Length} bytes, not a whole number of doubles");
            }
            for (int i = 0; i < packed.Length; i += 8)
            {
                values.Add(BinaryPrimitives.ReadDoubleLittleEndian(packed.Span[i..]));
            }
            return;
        }
        Expect(wire, WireType.Fixed64, field, message);
        values.Add(Double());
    }

    private ReadOnlyMemory<byte> Take(int count, string what)
    {
        if (count > _data.Length - _position)
        {
            throw new ProtoException(Offset, $"truncated: {what} needs {count} bytes, {_data.Length - _position} remain");
        }
        var slice = _data.Slice(_position, count);
        _position += count;
        return slice;
    }

    private static readonly UTF8Encoding Strict = new(false, throwOnInvalidBytes: true);
}

/// <summary>Writes protobuf's wire format: tags, varints, fixed-width numbers and length-delimited fields.</summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream _stream = new();

    public byte[] ToArray() => _stream.ToArray();

    public void Tag(int field, WireType wire) => Varint(((ulong)field << 3) | (uint)wire);

    public void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            _stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        _stream.WriteByte((byte)value);
    }

    public void Int64(int field, long value)
    {
        Tag(field, WireType.Varint);
        Varint((ulong)value);
    }

    public void Float(int field, float value)
    {
        Tag(field, WireType.Fixed32);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        _stream.Write(bytes);
    }

    public void Bytes(int field, ReadOnlySpan<byte> bytes)
    {
        Tag(field, WireType.Length);
        Varint((ulong)bytes.Length);
        _stream.Write(bytes);
    }

    public void String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>Writes a string field unless it is empty (proto2's absent optional).</summary>
    public void OptionalString(int field, string value)
    {
        if (value.Length > 0)
        {
            String(field, value);
        }
    }

    /// <summary>A nested message, written by <paramref name="write"/> and framed with its length.</summary>
    public void Message(int field, Action<ProtoWriter> write)
    {
        var inner = new ProtoWriter();
        write(inner);
        Bytes(field, inner._stream.GetBuffer().AsSpan(0, (int)inner._stream.Length));
    }

    /// <summary>A packed repeated varint field (nothing when empty).</summary>
    public void PackedInt64s(int field, IReadOnlyList<long> values)
    {
        if (values.Count == 0)
        {
            return;
        }
        var inner = new ProtoWriter();
        foreach (long value in values)
        {
            inner.Varint((ulong)value);
        }
        Bytes(field, inner._stream.GetBuffer().AsSpan(0, (int)inner._stream.Length));
    }

    /// <summary>A packed repeated float field (nothing when empty).</summary>
    public void PackedFloats(int field, IReadOnlyList<float> values)
    {
        if (values.Count == 0)
        {
            return;
        }
        var bytes = new byte[values.Count * 4];
        for (int i = 0; i < values.Count; i++)
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        }
        Bytes(field, bytes);
    }
}
