using System.Diagnostics;
using System.Globalization;
using Neurite.Autograd;
using Neurite.Kernels;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Bench;

/// <summary>
/// `cnn [--net lenet|vgg] [--threads 2] [--batch 128] [--reps 5] [--iterations 10] [--json]`: issue 11's CNN workloads
/// on random 1×28×28 images through the public API: Adam training steps (samples/s), inference at batch 1 (median µs)
/// and at batch 128 (samples/s), and each convolution's GFLOP/s in the trained net's forward pass at batch 128, alone
/// and with its backward (2 FLOPs per multiply–accumulate; weight and input gradients, the first layer's input has
/// none). bench/reference/cnn.py is the same in PyTorch; `models` runs both.
/// </summary>
internal static class CnnBench
{
    private const int Classes = 10;
    private const int LatencyCalls = 400;

    /// <summary>The nets of issue 11: LeNet-5 (as torch's tutorial, ReLU and max pooling) and a small VGG.</summary>
    public static readonly Dictionary<string, string> Nets = new()
    {
        ["lenet"] = """
            {"input": [1, 28, 28], "layers": [
              {"type": "conv2d", "out": 6, "kernel": 5, "padding": 2}, {"type": "relu"}, {"type": "max_pool2d", "kernel": 2},
              {"type": "conv2d", "out": 16, "kernel": 5}, {"type": "relu"}, {"type": "max_pool2d", "kernel": 2},
              {"type": "flatten"}, {"type": "linear", "out": 120}, {"type": "relu"}, {"type": "linear", "out": 84}, {"type": "relu"},
              {"type": "linear", "out": 10}]}
            """,
        ["vgg"] = """
            {"input": [1, 28, 28], "layers": [
              {"type": "conv2d", "out": 32, "kernel": 3, "padding": 1}, {"type": "batch_norm"}, {"type": "relu"},
              {"type": "conv2d", "out": 32, "kernel": 3, "padding": 1}, {"type": "batch_norm"}, {"type": "relu"}, {"type": "max_pool2d", "kernel": 2},
              {"type": "conv2d", "out": 64, "kernel": 3, "padding": 1}, {"type": "batch_norm"}, {"type": "relu"},
              {"type": "conv2d", "out": 64, "kernel": 3, "padding": 1}, {"type": "batch_norm"}, {"type": "relu"}, {"type": "max_pool2d", "kernel": 2},
              {"type": "flatten"}, {"type": "linear", "out": 128}, {"type": "relu"}, {"type": "linear", "out": 10}]}
            """,
    };

    public static int Run(string[] args)
    {
        string net = "lenet";
        int threads = 2, batch = 128, reps = 5, iterations = 10;
        bool json = false;
        var options = new OptionParser("cnn")
            .Choice("--net", Nets.Keys, v => net = v)
            .Positive("--threads", v => threads = v).Positive("--batch", v => batch = v)
            .Positive("--reps", v => reps = v).Positive("--iterations", v => iterations = v)
            .Flag("--json", () => json = true);
        if (!options.TryParse(args))
        {
            return 2;
        }
        Parallelism.MaxThreads = threads;

        var spec = ModelSpec.Parse(Nets[net]);
        var model = spec.Build(new Generator(1));
        var rng = new Generator(2);
        var x = Tensor.Normal([batch, 1, 28, 28], 0f, 1f, rng);
        var classes = IntTensor.From([.. Enumerable.Range(0, batch).Select(i => i % Classes)]);
        var metrics = new Dictionary<string, List<double>>();

        var optimizer = new Adam(model.Parameters());
        void Step()
        {
            optimizer.ZeroGrad();
            Losses.CrossEntropy(model.Call(x), classes).Backward();
            optimizer.Step();
        }
        for (int i = 0; i < 2 * iterations; i++)
        {
            Step(); // warm-up: the JIT's optimized code and the buffer pool
        }
        for (int r = 0; r < reps; r++)
        {
            long start = Stopwatch.GetTimestamp();
            for (int i = 0; i < iterations; i++)
            {
                Step();
            }
            MlpWorker.Add(metrics, $"{net}_train_samples_per_s", batch * iterations / Stopwatch.GetElapsedTime(start).TotalSeconds);
        }

        model.Eval();
        using (Graph.NoGrad())
        {
            var singles = Enumerable.Range(0, LatencyCalls).Select(_ => Tensor.Normal([1, 1, 28, 28], 0f, 1f, rng)).ToArray();
            MlpWorker.Latency(model, singles); // warm-up
            for (int r = 0; r < reps; r++)
            {
                MlpWorker.Add(metrics, $"{net}_infer1_latency_us", MlpWorker.Latency(model, singles));
            }
            model.Call(x);
            for (int r = 0; r < reps; r++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < iterations; i++)
                {
                    model.Call(x);
                }
                MlpWorker.Add(metrics, $"{net}_infer128_samples_per_s", batch * iterations / Stopwatch.GetElapsedTime(start).TotalSeconds);
            }
        }
        ConvolutionRates(net, spec, model, x, reps, iterations, metrics);

        if (json)
        {
            Console.WriteLine(BenchJson.Result(threads, metrics));
        }
        else
        {
            foreach (var (key, values) in metrics)
            {
                Console.WriteLine($"{key}: {values.Order().ElementAt(values.Count / 2).ToString("G4", CultureInfo.InvariantCulture)} (median of {values.Count})");
            }
        }
        return 0;
    }

    /// <summary>
    /// The GFLOP/s of each convolution of the net (named conv1, conv2, … in order) on the input it gets from the layers
    /// before it at this batch size: its forward pass alone (evaluation mode), and its forward and backward passes.
    /// </summary>
    private static void ConvolutionRates(string net, ModelSpec spec, Module model, Tensor x, int reps, int iterations, Dictionary<string, List<double>> metrics)
    {
        var summary = spec.Summarize();
        var layers = model.NamedChildren().Select(child => child.Value).ToArray();
        int convolutions = 0;
        for (int l = 0; l < layers.Length; l++)
        {
            if (layers[l] is Conv2d conv)
            {
                convolutions++;
                double forwardFlops = 2.0 * summary.Layers[l].MultiplyAccumulates * x.Shape[0];
                // Backward computes the weight's gradient and, past the first layer, the input's: one forward's work each.
                double trainFlops = forwardFlops * (l == 0 ? 2 : 3);
                var input = x.Detach();
                input.RequiresGrad = l > 0;
                conv.Eval();
                Rate(() =>
                {
                    using var _ = Graph.NoGrad();
                    conv.Call(input);
                }, forwardFlops, $"{net}_conv{convolutions}_forward_gflops");
                conv.Train();
                var outputGradient = Tensor.Ones([.. summary.Layers[l].OutputShape.Select((size, axis) => axis == 0 ? x.Shape[0] : size)]);
                Rate(() =>
                {
                    conv.ZeroGrad();
                    input.ZeroGrad();
                    conv.Call(input).Backward(outputGradient);
                }, trainFlops, $"{net}_conv{convolutions}_train_gflops");
            }
            using (Graph.NoGrad())
            {
                layers[l].Eval();
                x = layers[l].Call(x);
            }
        }

        void Rate(Action run, double flops, string key)
        {
            run();
            for (int r = 0; r < reps; r++)
            {
                long start = Stopwatch.GetTimestamp();
                for (int i = 0; i < iterations; i++)
                {
                    run();
                }
                MlpWorker.Add(metrics, key, flops * iterations / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e9);
            }
        }
    }
}
