using Neurite.Tensors;

namespace Neurite.Tests.Tensors;

public class IntTensorTests
{
    [Fact]
    public void Creation_shape_indexing_and_copies()
    {
        var v = IntTensor.From([3, 1, 4]);
        Assert.Equal([3], v.Shape.ToArray());
        Assert.Equal(1, v.Rank);
        Assert.Equal(3, v.Count);
        Assert.Equal(4, v[2]);
        Assert.Equal([3, 1, 4], v.ToArray());
        Assert.Equal([3, 1, 4], v.ToList());

        var m = IntTensor.From([[1, 2, 3], [4, 5, 6]]);
        Assert.Equal([2, 3], m.Shape.ToArray());
        Assert.Equal(3, m.Size(-1));
        Assert.Equal(6, m[1, 2]);
        m[0, 1] = 20;
        Assert.Equal([1, 20, 3, 4, 5, 6], m.ToArray());
        Assert.Equal(m.ToArray(), IntTensor.From(new[,] { { 1, 20, 3 }, { 4, 5, 6 } }).ToArray());
        Assert.Equal([2, 3], IntTensor.From([1, 20, 3, 4, 5, 6], [2, 3]).Shape.ToArray());
        Assert.Equal([0, 1, 2, 3], IntTensor.Arange(4).ToArray());
        Assert.Equal(new int[6], IntTensor.Zeros([3, 2]).ToArray());
        Assert.Equal(7, IntTensor.From([7], []).Item());

        // ToArray is a copy; Data and Reshape share.
        var copy = m.ToArray();
        copy[0] = -1;
        Assert.Equal(1, m[0, 0]);
        var flat = m.Reshape(-1);
        Assert.Equal([6], flat.Shape.ToArray());
        flat.Data[0] = 100;
        Assert.Equal(100, m[0, 0]);
        Assert.Equal([3, 2], m.Reshape(3, -1).Shape.ToArray());
    }

    [Fact]
    public void Errors_name_the_shape_and_the_index()
    {
        var m = IntTensor.From([[1, 2, 3], [4, 5, 6]]);
        Assert.Contains("index 2 is out of range for axis 0 of size 2", Assert.Throws<IndexOutOfRangeException>(() => m[2, 0]).Message);
        Assert.Contains("[2, 3]", Assert.Throws<IndexOutOfRangeException>(() => m[1]).Message);
        Assert.Contains("shape [2, 2] holds 4 elements but 3 values", Assert.Throws<ArgumentException>(() => IntTensor.From([1, 2, 3], [2, 2])).Message);
        Assert.Contains("cannot reshape [2, 3]", Assert.Throws<ArgumentException>(() => m.Reshape(4, -1)).Message);
        Assert.Throws<ArgumentException>(() => m.Reshape(-1, -1));
        Assert.Throws<ArgumentException>(() => IntTensor.From([[1, 2], [3]]));
        Assert.Throws<InvalidOperationException>(() => m.Item());
    }

    [Fact]
    public void Converts_to_and_from_float_tensors_refusing_what_does_not_fit()
    {
        var t = Tensor.From([[1f, -2f], [0f, 16777216f]]);
        var ids = IntTensor.FromTensor(t);
        Assert.Equal([2, 2], ids.Shape.ToArray());
        Assert.Equal([1, -2, 0, 16777216], ids.ToArray());
        Assert.Equal(t.ToArray(), ids.ToTensor().ToArray());
        Assert.Equal([2, 2], ids.ToTensor().Shape.ToArray());

        var fraction = Assert.Throws<ArgumentException>(() => IntTensor.FromTensor(Tensor.From([[0f, 1f], [1.5f, 2f]])));
        Assert.StartsWith("IntTensor.FromTensor: value 1.5 at position [1, 0] is not a whole number in the int32 range (shape [2, 2]).", fraction.Message);
        Assert.Throws<ArgumentException>(() => IntTensor.FromTensor(Tensor.From([float.NaN])));
        Assert.Throws<ArgumentException>(() => IntTensor.FromTensor(Tensor.From([float.PositiveInfinity])));
        // 2³¹ is one past int.MaxValue; −2³¹ is int.MinValue itself.
        Assert.Throws<ArgumentException>(() => IntTensor.FromTensor(Tensor.From([2147483648f])));
        Assert.Equal(int.MinValue, IntTensor.FromTensor(Tensor.From([-2147483648f])).Item());

        var big = Assert.Throws<InvalidOperationException>(() => IntTensor.From([0, 16777217]).ToTensor());
        Assert.Equal("IntTensor.ToTensor: value 16777217 at position [1] is beyond ±16777216, where float32 stops holding every integer exactly.", big.Message);
    }

    [Fact]
    public void Prints_as_pytorch_prints_an_int32_tensor()
    {
        // torch.tensor([3, 1, 4], dtype=torch.int32), torch.tensor([[1, 20], [3, 4]], dtype=torch.int32), …
        Assert.Equal("tensor([3, 1, 4], dtype=torch.int32)", IntTensor.From([3, 1, 4]).ToString());
        Assert.Equal("tensor([[ 1, 20],\n        [-3,  4]], dtype=torch.int32)", IntTensor.From([[1, 20], [-3, 4]]).ToString());
        Assert.Equal("tensor(5, dtype=torch.int32)", IntTensor.From([5], []).ToString());
        Assert.Equal("tensor([], dtype=torch.int32)", IntTensor.Zeros([0]).ToString());
        Assert.Equal("tensor([   0,    1,    2,  ..., 1998, 1999, 2000], dtype=torch.int32)", IntTensor.Arange(2001).ToString());
    }
}
