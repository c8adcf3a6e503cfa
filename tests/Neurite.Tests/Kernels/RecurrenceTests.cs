using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Tensors;
using Neurite.Tests.Reference;

namespace Neurite.Tests.Kernels;

/// <summary>
/// The recurrent kernel on every vector path (the wide PyTorch fixtures, H = 17: a Vector512 or two Vector256 blocks and
/// a scalar tail) and on one thread against two.
/// </summary>
[Collection(GlobalSettingsCollection.Name)]
public class RecurrencePathTests
{
    public static TheoryData<GemmPath, string> PathsAndCases()
    {
        var data = new TheoryData<GemmPath, string>();
        foreach (var path in new[] { GemmPath.Avx512, GemmPath.Avx2, GemmPath.Scalar }.Where(Gemm.IsSupported))
        {
            foreach (string name in new[] { "rnn_wide_sequences", "lstm_wide_sequences", "gru_wide_sequences", "lstm_2layers_bidirectional_last" })
            {
                data.Add(path, name);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(PathsAndCases))]
    public void Every_path_matches_torch(GemmPath path, string name)
    {
        var previous = Gemm.ForcedPath;
        try
        {
            Gemm.ForcedPath = path;
            RecurrentReferenceTests.CheckCase(name);
        }
        finally
        {
            Gemm.ForcedPath = previous;
        }
    }

    [Theory]
    [InlineData(RecurrentCell.Lstm)]
    [InlineData(RecurrentCell.Gru)]
    [InlineData(RecurrentCell.Rnn)]
    public void Steps_split_between_threads_equal_one_thread(RecurrentCell cell)
    {
        // 130 × G·128 gate values per step, above the threshold at which a step's pass is split.
        var results = new List<float[]>();
        int previous = Parallelism.MaxThreads;
        try
        {
            foreach (int threads in new[] { 1, 2 })
            {
                Parallelism.MaxThreads = threads;
                var rng = new Generator(3);
                RecurrentBase layer = cell switch
                {
                    RecurrentCell.Lstm => new LSTM(8, 128, returnSequences: true, rng: rng),
                    RecurrentCell.Gru => new GRU(8, 128, returnSequences: true, rng: rng),
                    _ => new RNN(8, 128, bidirectional: true, returnSequences: true, rng: rng),
                };
                var x = Tensor.Uniform([130, 4, 8], -1f, 1f, new Generator(4), requiresGrad: true);
                var y = layer.Call(x);
                Ops.Sum(Ops.Mul(y, Tensor.Uniform(y.Shape, -1f, 1f, new Generator(5)))).Backward();
                results.Add([.. y.Data, .. x.Grad!.Data, .. layer.Parameters().SelectMany(p => p.Grad!.ToArray())]);
            }
        }
        finally
        {
            Parallelism.MaxThreads = previous;
        }
        Assert.Equal(results[0], results[1]);
    }
}

/// <summary>The recurrent op's errors and its one backward.</summary>
public class RecurrenceTests
{
    [Fact]
    public void Shapes_that_do_not_fit_are_named()
    {
        var w = Tensor.Zeros([12, 2]);
        var e = Assert.Throws<ArgumentException>(() => Ops.Recurrent(RecurrentCell.Lstm, Tensor.Zeros([4, 2]), w, Tensor.Zeros([12, 3]), Tensor.Zeros([12]), Tensor.Zeros([12])));
        Assert.Equal("LSTM: expected input [batch, steps, features] with at least one step; got [4, 2].", e.Message);
        e = Assert.Throws<ArgumentException>(() => Ops.Recurrent(RecurrentCell.Gru, Tensor.Zeros([1, 4, 2]), w, Tensor.Zeros([12, 3]), Tensor.Zeros([12]), Tensor.Zeros([12])));
        Assert.Equal(
            "GRU: for input [1, 4, 2] and hidden size 3, expected weight_ih [9, 2], weight_hh [9, 3], bias_ih and bias_hh [9]; got [12, 2], [12, 3], [12] and [12].",
            e.Message);
        e = Assert.Throws<ArgumentException>(() => new LSTM(3, 4).Forward(Tensor.Zeros([2, 5, 2])));
        Assert.Equal("LSTM(3, 4, batch_first=True, return_sequences=False): expected input [batch, steps, 3] with at least one step, got [2, 5, 2].", e.Message);
    }

    [Fact]
    public void A_second_backward_through_the_same_layer_is_an_error()
    {
        var lstm = new LSTM(2, 3, returnSequences: true);
        var y = lstm.Call(Tensor.Ones([1, 2, 2]));
        var a = Ops.Sum(y);
        a.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => a.Backward());
        Assert.Contains("LSTM: Backward already ran through this layer", e.Message);
    }

    [Fact]
    public void Without_grad_the_layer_records_nothing_and_gives_the_same_output()
    {
        var gru = new GRU(2, 3, 2, bidirectional: true, returnSequences: true, rng: new Generator(1));
        var x = Tensor.Uniform([2, 3, 2], -1f, 1f, new Generator(2));
        var recorded = gru.Call(x);
        Tensor plain;
        using (Graph.NoGrad())
        {
            plain = gru.Call(x);
        }
        Assert.NotNull(recorded.GradFn);
        Assert.Null(plain.GradFn);
        Assert.Equal(recorded.ToArray(), plain.ToArray());
    }
}
