using System.Text.Json;
using Neurite.Autograd;
using Neurite.Distributed;
using Neurite.NN;
using Neurite.Tensors;
using Neurite.Tests.Reference;

namespace Neurite.Tests.Distributed;

/// <summary>
/// Synchronized batch norm (torch.nn.SyncBatchNorm) on ranks simulated in one process: two ranks, each with part of
/// a batch, give what PyTorch's batch norm gives on the whole batch (tests/reference/batch_norm2d.json; SyncBatchNorm
/// itself runs only on CUDA in PyTorch, and its definition is batch norm over the ranks' batches together), and the
/// synchronized op's gradients match finite differences of the ranks' summed objective.
/// </summary>
public class SyncBatchNormTests
{
    private const string File = "batch_norm2d.json";

    public static TheoryData<string> Cases => Fixture.CaseNames(File);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Two_ranks_with_parts_of_the_batch_match_pytorch_on_the_whole_batch(string name)
    {
        var c = Fixture.Case(File, name);
        var shape = c.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        // [N, C, 1, 1] goes through BatchNorm1d as [N, C]; odd N splits unevenly (rank 0 has fewer samples).
        bool rows = shape[2] == 1 && shape[3] == 1;
        var parts = SimulatedRanks.Run(2, ranks =>
        {
            BatchNorm bn = rows ? new BatchNorm1d(shape[1], momentum: (float)c.GetProperty("momentum").GetDouble(), affine: c.GetProperty("affine").GetBoolean())
                : new BatchNorm2d(shape[1], momentum: (float)c.GetProperty("momentum").GetDouble(), affine: c.GetProperty("affine").GetBoolean());
            if (bn.Weight is not null)
            {
                Fixture.ReadTensor(c.GetProperty("weight")).Data.CopyTo(bn.Weight.Data);
                Fixture.ReadTensor(c.GetProperty("bias")).Data.CopyTo(bn.Bias!.Data);
            }
            Assert.Equal(1, BatchNorm.ConvertSyncBatchNorm(bn, ranks));
            var steps = new List<RankStep>();
            foreach (var s in c.GetProperty("steps").EnumerateArray())
            {
                steps.Add(Step(bn, s, ranks, rows));
            }
            bn.Eval();
            steps.Add(Step(bn, c.GetProperty("eval"), ranks, rows));
            return steps;
        });
        var torchSteps = c.GetProperty("steps").EnumerateArray().Append(c.GetProperty("eval")).ToArray();
        for (int step = 0; step < torchSteps.Length; step++)
        {
            var s = torchSteps[step];
            string what = $"{name} {(step < torchSteps.Length - 1 ? $"step {step}" : "evaluation")}";
            Fixture.AssertClose(Fixture.ReadTensor(s.GetProperty("y")), Joined(parts.Select(p => p[step].Y), shape), $"{what}: output", 1e-5, 1e-5);
            var grads = s.GetProperty("grads");
            Fixture.AssertClose(Fixture.ReadTensor(grads.GetProperty("x")), Joined(parts.Select(p => p[step].InputGradient), shape), $"{what}: input gradient", 1e-4, 1e-5);
            if (parts[0][step].WeightGradient is not null)
            {
                // Each rank keeps its share of ∂γ and ∂β; data-parallel training sums them with the other gradients.
                Fixture.AssertClose(Fixture.ReadTensor(grads.GetProperty("weight")), Summed(parts.Select(p => p[step].WeightGradient!)), $"{what}: weight gradient", 1e-4, 1e-5);
                Fixture.AssertClose(Fixture.ReadTensor(grads.GetProperty("bias")), Summed(parts.Select(p => p[step].BiasGradient!)), $"{what}: bias gradient", 1e-5, 1e-5);
            }
            if (s.TryGetProperty("running_mean", out var runningMean))
            {
                foreach (var part in parts)
                {
                    Fixture.AssertClose(Fixture.ReadTensor(runningMean), part[step].RunningMean, $"{what}: running mean");
                    Fixture.AssertClose(Fixture.ReadTensor(s.GetProperty("running_var")), part[step].RunningVar, $"{what}: running variance (unbiased over the global batch)");
                }
            }
        }
    }

    [Fact]
    public void Without_synchronization_two_ranks_normalize_by_their_own_statistics()
    {
        // The check above can fail: the same split without ConvertSyncBatchNorm does not give the whole batch's output.
        var x = Tensor.Uniform([6, 3], -2f, 2f, new Generator(3));
        var whole = new BatchNorm1d(3).Call(x).ToArray();
        var parts = SimulatedRanks.Run(2, ranks => new BatchNorm1d(3).Call(Ops.Slice(x, 0, 3 * ranks.Rank, 3 * ranks.Rank + 3)).ToArray());
        float largest = whole.Zip(parts[0].Concat(parts[1]), (a, b) => MathF.Abs(a - b)).Max();
        Assert.True(largest > 1e-2f, $"unsynchronized output within {largest} of the whole batch's");
    }

    [Fact]
    public void Synchronized_gradients_match_finite_differences_of_the_ranks_summed_objective()
    {
        // Global batch [3, 2, 3, 3] split 1 and 2 samples: rank 0 alone has a single value per channel per position.
        int[] shape = [3, 2, 3, 3];
        var x = Tensor.Uniform(shape, -2f, 2f, new Generator(11));
        var weight = Tensor.Uniform([2], 0.5f, 1.5f, new Generator(12));
        var bias = Tensor.Uniform([2], -1f, 1f, new Generator(13));
        var upstream = Tensor.Uniform(shape, -1f, 1f, new Generator(14));
        int[] starts = [0, 1, 3];

        // L = Σ over ranks of Σ upstream ⊙ y on the rank's samples, in double.
        double Objective() => SimulatedRanks.Run(2, ranks =>
        {
            using var _ = Graph.NoGrad();
            var y = Ops.BatchNorm(Slice(x, starts, ranks.Rank), null, null, weight, bias, training: true, communicator: ranks);
            var w = Slice(upstream, starts, ranks.Rank).Data;
            double sum = 0;
            for (int i = 0; i < w.Length; i++)
            {
                sum += (double)w[i] * y.Data[i];
            }
            return sum;
        }).Sum();

        var analytic = SimulatedRanks.Run(2, ranks =>
        {
            var xr = Tensor.From(Slice(x, starts, ranks.Rank).Data, Slice(x, starts, ranks.Rank).Shape, requiresGrad: true);
            var (w, b) = (Tensor.From(weight.Data, requiresGrad: true), Tensor.From(bias.Data, requiresGrad: true));
            Ops.BatchNorm(xr, null, null, w, b, training: true, communicator: ranks).Backward(Slice(upstream, starts, ranks.Rank));
            return (X: xr.Grad!.ToArray(), W: w.Grad!.ToArray(), B: b.Grad!.ToArray());
        });
        float[] dx = [.. analytic[0].X, .. analytic[1].X];
        float[] dw = [.. analytic[0].W.Zip(analytic[1].W, (a, b) => a + b)];
        float[] db = [.. analytic[0].B.Zip(analytic[1].B, (a, b) => a + b)];
        foreach (var (tensor, gradient, what) in new[] { (x, dx, "x"), (weight, dw, "weight"), (bias, db, "bias") })
        {
            var data = tensor.Data;
            for (int j = 0; j < data.Length; j++)
            {
                float original = data[j];
                const float h = 1e-2f;
                data[j] = original + h;
                double plus = Objective();
                data[j] = original - h;
                double minus = Objective();
                data[j] = original;
                double numeric = (plus - minus) / ((double)(original + h) - (original - h));
                Assert.True(Math.Abs(gradient[j] - numeric) <= 5e-3 + 2e-2 * Math.Abs(numeric), $"{what}[{j}]: analytic {gradient[j]}, numeric {numeric}");
            }
        }
    }

    [Fact]
    public void Evaluation_and_a_single_process_do_not_communicate()
    {
        // Evaluation uses the running estimates, so a synchronized layer computes alone: one rank of two evaluating
        // while the other does nothing would wait for ever at a collective.
        var bn = new BatchNorm1d(3);
        var lonely = SimulatedRanks.Run(1, ranks => ranks);
        BatchNorm.ConvertSyncBatchNorm(bn, lonely[0]);
        var plain = new BatchNorm1d(3);
        var x = Tensor.Uniform([4, 3], -1f, 1f, new Generator(5));
        Assert.Equal(plain.Call(x).ToArray(), bn.Call(x).ToArray());
        var two = SimulatedRanks.Run(2, ranks => ranks);
        BatchNorm.ConvertSyncBatchNorm(bn, two[0]);
        bn.Eval();
        plain.Eval();
        Assert.Equal(plain.Call(x).ToArray(), bn.Call(x).ToArray());
    }

    private sealed record RankStep(Tensor Y, Tensor InputGradient, Tensor? WeightGradient, Tensor? BiasGradient, Tensor RunningMean, Tensor RunningVar);

    /// <summary>Rank r's share of the fixture's step: samples [r·N/2, (r + 1)·N/2) rounded down, forward and backward.</summary>
    private static RankStep Step(BatchNorm bn, JsonElement s, ICommunicator ranks, bool rows)
    {
        var whole = Fixture.ReadTensor(s.GetProperty("x"));
        int n = whole.Shape[0];
        int start = ranks.Rank * n / 2, end = (ranks.Rank + 1) * n / 2;
        var x = Part(whole, start, end, rows);
        x = Tensor.From(x.Data, x.Shape, requiresGrad: true);
        var y = bn.Call(x);
        y.Backward(Part(Fixture.ReadTensor(s.GetProperty("upstream")), start, end, rows));
        var step = new RankStep(y, x.Grad!, bn.Weight?.Grad?.Clone(), bn.Bias?.Grad?.Clone(), bn.RunningMean.Clone(), bn.RunningVar.Clone());
        bn.ZeroGrad();
        return step;
    }

    private static Tensor Part(Tensor whole, int start, int end, bool rows)
    {
        var part = Ops.Slice(whole, 0, start, end);
        return rows ? Ops.Reshape(part, [end - start, whole.Shape[1]]) : part;
    }

    private static Tensor Slice(Tensor whole, int[] starts, int rank) => Ops.Slice(whole, 0, starts[rank], starts[rank + 1]);

    private static Tensor Joined(IEnumerable<Tensor> parts, int[] shape) => Tensor.From([.. parts.SelectMany(part => part.ToArray())], shape);

    private static Tensor Summed(IEnumerable<Tensor> parts)
    {
        var all = parts.ToArray();
        return Tensor.From([.. Enumerable.Range(0, all[0].Count).Select(i => all.Sum(part => part.Data[i]))], all[0].Shape);
    }
}
