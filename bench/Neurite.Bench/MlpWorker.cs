using System.Diagnostics;
using System.Text.Json;
using Neurite.Autograd;
using Neurite.Data;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;

namespace Neurite.Bench;

/// <summary>
/// `mlp-worker --threads N --reps R`: the Neurite side of `mlp`, run in a process of its own per thread count so that
/// its peak RSS is Neurite's alone. Prints one JSON object {"framework", "threads", "metrics": {name: [values]}} whose
/// metric names and workloads match bench/reference/mlp.py line for line. Everything goes through the public API, as
/// a user would write it: Sequential, Linear, ReLU, Losses.CrossEntropy, Adam/SGD, DataLoader.
/// </summary>
internal static class MlpWorker
{
    private const int BatchSize = 128;
    private const int LatencyCalls = 2000;

    public static int Run(string[] args)
    {
        int threads = 1, reps = 3;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads": threads = int.Parse(args[++i]); break;
                case "--reps": reps = int.Parse(args[++i]); break;
                default:
                    Console.Error.WriteLine($"mlp-worker: unknown option {args[i]}");
                    return 2;
            }
        }
        Parallelism.MaxThreads = threads;
        var metrics = new Dictionary<string, List<double>>();

        var (train, test) = LoadData();
        // The unscaled copies are garbage now. CPython's reference counting frees PyTorch's at once; here nothing
        // would collect them while training (its tensors stay off the large object heap, which alone triggers full
        // collections), so collect once, as a program that prepares its data and then trains would.
        GC.Collect();

        // Warm-up on throwaway models, two epochs with each optimizer: the JIT moves the hot methods to optimized code
        // a while after they first run, later still when both cores are busy (measured: after one epoch each, the
        // first model trained ran its first timed epoch 40% slower than its last).
        foreach (var optimizer in new Func<Module, Optimizer>[] { m => new Adam(m.Parameters()), m => new SGD(m.Parameters(), new SGDOptions(Lr: 0.01, Momentum: 0.9)) })
        {
            var model = Mlp(seed: 2);
            var (warmup, loader) = (optimizer(model), new DataLoader(train, BatchSize, shuffle: true, seed: 3));
            Epoch(model, warmup, loader);
            Epoch(model, warmup, loader);
        }

        // Training: one untimed warm-up epoch, then `reps` timed epochs; the test accuracy after all of them.
        long pauseBefore = GC.GetTotalPauseDuration().Ticks;
        double trainSeconds = 0;
        var adamModel = Mlp(seed: 1);
        var adam = new Adam(adamModel.Parameters(), new AdamOptions(Lr: 1e-3));
        trainSeconds += Train(adamModel, adam, train, test, reps, metrics, "adam");
        var sgdModel = Mlp(seed: 1);
        var sgd = new SGD(sgdModel.Parameters(), new SGDOptions(Lr: 0.01, Momentum: 0.9));
        trainSeconds += Train(sgdModel, sgd, train, test, reps, metrics, "sgd");
        // GC.GetTotalPauseDuration counts the warm-up epochs too; the share is taken over their time as well.
        metrics["gc_share_percent"] = [100.0 * TimeSpan.FromTicks(GC.GetTotalPauseDuration().Ticks - pauseBefore).TotalSeconds / trainSeconds];

        // Inference with the Adam-trained model, in evaluation mode and without a graph.
        adamModel.Eval();
        using (Graph.NoGrad())
        {
            var singles = Enumerable.Range(0, LatencyCalls)
                .Select(i => Tensor.From(test.Features.Data.Slice(i * test.FeatureCount, test.FeatureCount), [1, 1, 28, 28]))
                .ToArray();
            var batches = new DataLoader(test, BatchSize).Select(batch => batch.Inputs).ToArray();
            Latency(adamModel, singles); // warm-up
            Throughput(adamModel, batches, 0.2);
            for (int r = 0; r < reps; r++)
            {
                Add(metrics, "infer1_latency_us", Latency(adamModel, singles));
            }
            for (int r = 0; r < reps; r++)
            {
                Add(metrics, "infer128_samples_per_s", Throughput(adamModel, batches, 0.25));
            }
        }

        if (threads == 1)
        {
            Playground(reps, metrics);
        }

        metrics["peak_rss_mb"] = [PeakRssMegabytes()];
        var result = new Dictionary<string, object>
        {
            ["framework"] = $"Neurite (.NET {Environment.Version}, GEMM {Gemm.ActivePath})",
            ["threads"] = threads,
            ["metrics"] = metrics,
        };
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }

    /// <summary>
    /// Fashion-MNIST, pixels scaled from 0 … 255 to [0, 1] by one range over all values. In a method of its own: the
    /// unscaled copies (219 MB) must not stay reachable from the caller's frame (unoptimized first-tier code keeps
    /// its temporaries alive to the end of the method).
    /// </summary>
    private static (Dataset Train, Dataset Test) LoadData()
    {
        var data = Idx.LoadFashionMnist();
        var scale = MinMaxScale.Fit(data.Train, perFeature: false);
        return (scale.Apply(data.Train), scale.Apply(data.Test!));
    }

    /// <summary>784-256-128-10 with ReLU, initialized from <paramref name="seed"/>.</summary>
    internal static Sequential Mlp(ulong seed)
    {
        var rng = new Generator(seed);
        return new Sequential(
            new Flatten(),
            new Linear(784, 256, rng: rng), new ReLU(),
            new Linear(256, 128, rng: rng), new ReLU(),
            new Linear(128, 10, rng: rng));
    }

    /// <summary>Warm-up epoch, then `reps` timed epochs (samples/s each); adds the test accuracy; returns the seconds spent.</summary>
    private static double Train(
        Sequential model, Optimizer optimizer, Dataset train, Dataset test, int reps, Dictionary<string, List<double>> metrics, string name)
    {
        var loader = new DataLoader(train, BatchSize, shuffle: true, seed: 7);
        long start = Stopwatch.GetTimestamp();
        Epoch(model, optimizer, loader);
        for (int r = 0; r < reps; r++)
        {
            long epochStart = Stopwatch.GetTimestamp();
            Epoch(model, optimizer, loader);
            Add(metrics, $"{name}_train_samples_per_s", loader.SampleCount / Stopwatch.GetElapsedTime(epochStart).TotalSeconds);
        }
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        Add(metrics, $"{name}_test_accuracy_percent", 100 * Accuracy(model, test));
        return seconds;
    }

    /// <summary>One epoch of the loop every tutorial writes.</summary>
    private static void Epoch(Module model, Optimizer optimizer, DataLoader loader)
    {
        foreach (var (inputs, targets) in loader)
        {
            optimizer.ZeroGrad();
            var loss = Losses.CrossEntropy(model.Call(inputs), targets);
            loss.Backward();
            optimizer.Step();
        }
    }

    private static double Accuracy(Module model, Dataset test)
    {
        model.Eval();
        using var _ = Graph.NoGrad();
        int correct = 0;
        foreach (var (inputs, targets) in new DataLoader(test, 1000))
        {
            var predicted = Ops.ArgMax(model.Call(inputs), 1).Data;
            var expected = targets.Data;
            for (int i = 0; i < predicted.Length; i++)
            {
                correct += predicted[i] == expected[i] ? 1 : 0;
            }
        }
        model.Train();
        return (double)correct / test.Count;
    }

    /// <summary>The median latency of one forward pass on a single sample, in µs.</summary>
    internal static double Latency(Module model, Tensor[] singles)
    {
        var micros = new double[singles.Length];
        for (int i = 0; i < singles.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            model.Call(singles[i]);
            micros[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }
        Array.Sort(micros);
        return micros[micros.Length / 2];
    }

    /// <summary>Samples/s of forward passes over the test set in batches, repeated for at least `seconds`.</summary>
    private static double Throughput(Module model, Tensor[] batches, double seconds)
    {
        long samples = 0;
        long start = Stopwatch.GetTimestamp();
        do
        {
            foreach (var batch in batches)
            {
                model.Call(batch);
                samples += batch.Shape[0];
            }
        }
        while (Stopwatch.GetElapsedTime(start).TotalSeconds < seconds);
        return samples / Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>The TensorFlow Playground's size of network: 2-8-8-1, tanh, batch 10, MSE, SGD lr 0.03; steps/s.</summary>
    private static void Playground(int reps, Dictionary<string, List<double>> metrics)
    {
        var circles = Synthetic.Circles(500, 0.1f, new Generator(3));
        var points = new Dataset(circles.Features, Ops.Reshape(circles.Targets, [-1, 1]), TaskKind.Regression);
        var rng = new Generator(5);
        var model = new Sequential(
            new Linear(2, 8, rng: rng), new Tanh(),
            new Linear(8, 8, rng: rng), new Tanh(),
            new Linear(8, 1, rng: rng));
        var optimizer = new SGD(model.Parameters(), new SGDOptions(Lr: 0.03));
        var loader = new DataLoader(points, 10, shuffle: true, seed: 11);
        int Steps(double seconds)
        {
            int steps = 0;
            long start = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(start).TotalSeconds < seconds)
            {
                foreach (var (inputs, targets) in loader)
                {
                    optimizer.ZeroGrad();
                    var loss = Losses.Mse(model.Call(inputs), targets);
                    loss.Backward();
                    optimizer.Step();
                    steps++;
                }
            }
            return steps;
        }
        Steps(0.5); // warm-up
        for (int r = 0; r < reps; r++)
        {
            long start = Stopwatch.GetTimestamp();
            int steps = Steps(0.5);
            Add(metrics, "playground_steps_per_s", steps / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    /// <summary>VmHWM of /proc/self/status: the most resident memory this process has held.</summary>
    internal static double PeakRssMegabytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
        {
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
            }
        }
        return double.NaN;
    }

    internal static void Add(Dictionary<string, List<double>> metrics, string name, double value)
    {
        if (!metrics.TryGetValue(name, out var values))
        {
            metrics[name] = values = [];
        }
        values.Add(value);
    }
}
