using System.Diagnostics;
using System.Globalization;
using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

namespace Neurite.Bench;

/// <summary>
/// `transformer [--threads 2] [--batch 32] [--steps 64] [--model 128] [--heads 4] [--ff 512] [--dropout 0.1] [--reps 5] [--iterations 10] [--json]`:
/// training steps of one TransformerEncoderLayer (mean over time → Linear → cross-entropy, Adam) on random data, through
/// the public API; prints steps and samples per second (the median of the repetitions) and the forward and backward
/// shares of a step (with --json, one JSON object as `models` reads it). bench/reference/transformer.py is the same workload in PyTorch.
/// </summary>
internal static class TransformerBench
{
    private const int Classes = 10;

    public static int Run(string[] args)
    {
        int threads = 2, batch = 32, steps = 64, model = 128, heads = 4, ff = 512, reps = 5, iterations = 10;
        float dropout = 0.1f;
        bool json = false;
        var options = new OptionParser("transformer")
            .Positive("--threads", v => threads = v).Positive("--batch", v => batch = v).Positive("--steps", v => steps = v)
            .Positive("--model", v => model = v).Positive("--heads", v => heads = v).Positive("--ff", v => ff = v)
            .Number("--dropout", 0, 1, v => dropout = (float)v)
            .Positive("--reps", v => reps = v).Positive("--iterations", v => iterations = v)
            .Flag("--json", () => json = true);
        if (!options.TryParse(args))
        {
            return 2;
        }
        Parallelism.MaxThreads = threads;

        var rng = new Generator(1);
        var layer = new TransformerEncoderLayer(model, heads, ff, dropout, rng: rng);
        var head = new Linear(model, Classes, rng: rng);
        var optimizer = new Adam([.. layer.Parameters(), .. head.Parameters()]);
        var x = Tensor.Normal([batch, steps, model], 0f, 1f, rng);
        var classes = IntTensor.From([.. Enumerable.Range(0, batch).Select(i => i % Classes)]);

        double forwardSeconds = 0, backwardSeconds = 0;
        void Step()
        {
            long start = Stopwatch.GetTimestamp();
            optimizer.ZeroGrad();
            var loss = Losses.CrossEntropy(head.Call(Ops.Mean(layer.Call(x), 1)), classes);
            long forward = Stopwatch.GetTimestamp();
            loss.Backward();
            optimizer.Step();
            forwardSeconds += Stopwatch.GetElapsedTime(start, forward).TotalSeconds;
            backwardSeconds += Stopwatch.GetElapsedTime(forward).TotalSeconds;
        }

        for (int i = 0; i < 2 * iterations; i++)
        {
            Step(); // warm-up: the JIT's optimized code and the buffer pool
        }
        (forwardSeconds, backwardSeconds) = (0, 0);
        var rates = new List<double>();
        for (int r = 0; r < reps; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < iterations; i++)
            {
                Step();
            }
            rates.Add(iterations / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        if (json)
        {
            Console.WriteLine(BenchJson.Result(threads, new() { ["transformer_train_samples_per_s"] = [.. rates.Select(rate => rate * batch)] }));
            return 0;
        }
        rates.Sort();
        double total = forwardSeconds + backwardSeconds, median = rates[rates.Count / 2];
        Console.WriteLine(
            $"transformer: d_model {model}, {heads} heads, ff {ff}, dropout {dropout.ToString(CultureInfo.InvariantCulture)}, T {steps}, batch {batch}, {threads} threads: " +
            $"{median:F1} steps/s, {median * batch:F0} samples/s (median of {reps} × {iterations} steps; forward {100 * forwardSeconds / total:F0} %, backward + Adam {100 * backwardSeconds / total:F0} %)");
        return 0;
    }
}
