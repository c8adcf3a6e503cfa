using System.Diagnostics;
using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

namespace Neurite.Bench;

/// <summary>
/// `lstm [--threads 2] [--batch 64] [--steps 32] [--features 32] [--hidden 128] [--layers 2] [--reps 5] [--iterations 20] [--json]`:
/// training steps of a stacked LSTM (h_n of the last layer → Linear → cross-entropy, Adam) on random data, through the
/// public API; prints samples per second (the median of the repetitions) and the forward and backward shares of a step (with --json, one JSON object as `models` reads it).
/// bench/reference/lstm.py is the same workload in PyTorch.
/// </summary>
internal static class LstmBench
{
    private const int Classes = 10;

    public static int Run(string[] args)
    {
        int threads = 2, batch = 64, steps = 32, features = 32, hidden = 128, layers = 2, reps = 5, iterations = 20;
        bool json = false;
        var options = new OptionParser("lstm")
            .Positive("--threads", v => threads = v).Positive("--batch", v => batch = v).Positive("--steps", v => steps = v)
            .Positive("--features", v => features = v).Positive("--hidden", v => hidden = v).Positive("--layers", v => layers = v)
            .Positive("--reps", v => reps = v).Positive("--iterations", v => iterations = v)
            .Flag("--json", () => json = true);
        if (!options.TryParse(args))
        {
            return 2;
        }
        Parallelism.MaxThreads = threads;

        var rng = new Generator(1);
        var lstm = new LSTM(features, hidden, layers, rng: rng);
        var head = new Linear(hidden, Classes, rng: rng);
        var optimizer = new Adam([.. lstm.Parameters(), .. head.Parameters()]);
        var x = Tensor.Normal([batch, steps, features], 0f, 1f, rng);
        var classes = IntTensor.From([.. Enumerable.Range(0, batch).Select(i => i % Classes)]);

        double forwardSeconds = 0, backwardSeconds = 0;
        void Step()
        {
            long start = Stopwatch.GetTimestamp();
            optimizer.ZeroGrad();
            var loss = Losses.CrossEntropy(head.Call(lstm.Call(x)), classes);
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
            rates.Add(batch * iterations / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
        if (json)
        {
            Console.WriteLine(BenchJson.Result(threads, new() { ["lstm_train_samples_per_s"] = rates }));
            return 0;
        }
        rates.Sort();
        double total = forwardSeconds + backwardSeconds;
        Console.WriteLine(
            $"lstm: {layers} layers, hidden {hidden}, T {steps}, batch {batch}, features {features}, {threads} threads: " +
            $"{rates[rates.Count / 2]:F0} samples/s (median of {reps} × {iterations} steps; forward {100 * forwardSeconds / total:F0} %, backward + Adam {100 * backwardSeconds / total:F0} %)");
        return 0;
    }
}
