using Neurite.NN;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Tests.Serialization;

public sealed class ModelSpecTests
{
    /// <summary>Every layer type, every optional section.</summary>
    private const string Everything = """
        {
          "input": [2, 6],
          "layers": [
            {"type": "linear", "out": 8},
            {"type": "relu"}, {"type": "sigmoid"}, {"type": "tanh"}, {"type": "step"},
            {"type": "leaky_relu", "alpha": 0.2}, {"type": "elu"}, {"type": "gelu", "approximate": "tanh"},
            {"type": "silu"}, {"type": "softplus", "beta": 2}, {"type": "identity"},
            {"type": "batch_norm", "momentum": 0.2},
            {"type": "flatten"},
            {"type": "dropout", "p": 0.25},
            {"type": "layer_norm", "eps": 0.001},
            {"type": "residual", "layers": [{"type": "linear", "out": 16, "init": "he_normal"}, {"type": "tanh"}]},
            {"type": "linear", "out": 3, "bias": false, "init": {"type": "normal", "std": 0.02}},
            {"type": "softmax", "axis": 1},
            {"type": "log_softmax"}
          ],
          "loss": {"type": "nll"},
          "optimizer": {"type": "adamw", "lr": 0.003, "betas": [0.8, 0.99], "amsgrad": true},
          "schedule": {"type": "warmup", "warmup_steps": 5, "start_factor": 0.1, "inner": {"type": "cosine", "t_max": 20}},
          "batch_size": 32, "epochs": 4, "seed": 18446744073709551615,
          "data": {"source": "spirals", "samples": 300, "noise": 0.1, "validation_split": 0.2, "scale": "standardize",
                   "shuffle": true, "augment": {"shift": 2, "flip": true}},
          "l1": 0.0001, "l2": 0.001, "clip_grad_norm": 1.5,
          "early_stopping": {"patience": 3, "min_delta": 0.01, "restore_best": true}
        }
        """;

    [Fact]
    public void Parses_every_layer_type_and_section()
    {
        var spec = ModelSpec.Parse(Everything);
        Assert.Equal([2, 6], spec.Input);
        Assert.Equal(
            ["linear", "relu", "sigmoid", "tanh", "step", "leaky_relu", "elu", "gelu", "silu", "softplus", "identity", "batch_norm",
             "flatten", "dropout", "layer_norm", "residual", "linear", "softmax", "log_softmax"],
            spec.Layers.Select(l => l.Type));
        Assert.Equal(new LinearSpec(8), spec.Layers[0]);
        Assert.Equal(new LeakyReluSpec(0.2), spec.Layers[5]);
        Assert.Equal(new EluSpec(1), spec.Layers[6]);
        Assert.Equal(new GeluSpec("tanh"), spec.Layers[7]);
        Assert.Equal(new SoftplusSpec(2, 20), spec.Layers[9]);
        Assert.Equal(new BatchNormSpec(1e-5, 0.2, true), spec.Layers[11]);
        Assert.Equal(new FlattenSpec(1, -1), spec.Layers[12]);
        Assert.Equal(new DropoutSpec(0.25), spec.Layers[13]);
        Assert.Equal(new LayerNormSpec(0.001, true), spec.Layers[14]);
        Assert.Equal(new ResidualSpec([new LinearSpec(16, true, new InitSpec("he_normal")), new SimpleLayerSpec("tanh")]), spec.Layers[15]);
        Assert.Equal(new LinearSpec(3, false, new InitSpec("normal", Std: 0.02)), spec.Layers[16]);
        Assert.Equal(new SoftmaxSpec(1), spec.Layers[17]);
        Assert.Equal(new SoftmaxSpec(-1, Log: true), spec.Layers[18]);
        Assert.Equal(new LossSpec("nll"), spec.Loss);
        Assert.Equal(new AdamWOptions(Lr: 0.003, Beta1: 0.8, Beta2: 0.99, Amsgrad: true), spec.Optimizer!.Options);
        Assert.Equal(new WarmupScheduleSpec(0.1, 5, new CosineScheduleSpec(20)), spec.Schedule);
        Assert.Equal((32, 4, ulong.MaxValue), (spec.BatchSize!.Value, spec.Epochs!.Value, spec.Seed!.Value));
        Assert.Equal(
            new DataSpec("spirals") { Samples = 300, Noise = 0.1, ValidationSplit = 0.2, Scale = "standardize", Shuffle = true, Augment = new AugmentSpec(2, true, 0) },
            spec.Data);
        Assert.Equal((0.0001, 0.001, 1.5), (spec.L1!.Value, spec.L2!.Value, spec.ClipGradNorm!.Value));
        Assert.Equal(new EarlyStoppingSpec(3, 0.01, true), spec.EarlyStopping);

        // One-line descriptions, written from each layer's own fields.
        Assert.Equal(
            ["linear(out=8, bias=true)", "relu", "leaky_relu(alpha=0.2)", "batch_norm(eps=1E-05, momentum=0.2, affine=true)",
             "residual[linear(out=16, bias=true, init=\"he_normal\"), tanh]", "softmax(axis=1)"],
            new[] { 0, 1, 5, 11, 15, 17 }.Select(i => spec.Layers[i].Describe()));

        // Per-sample shapes: [2, 6] → linear [2, 8] … flatten [16] … linear [3].
        var shapes = spec.OutputShapes();
        Assert.Equal([2, 8], shapes[0]);
        Assert.Equal([2, 8], shapes[11]);
        Assert.Equal([16], shapes[12]);
        Assert.Equal([16], shapes[15]);
        Assert.Equal([3], shapes[18]);
    }

    [Fact]
    public void Writes_back_to_json_that_parses_to_the_same_spec()
    {
        var spec = ModelSpec.Parse(Everything);
        string json = spec.ToJson();
        var again = ModelSpec.Parse(json);
        Assert.Equal(spec, again);
        Assert.Equal(json, again.ToJson());
        // Defaults are written out; options left at their defaults keep the short forms.
        Assert.Contains("\"type\": \"linear\",\n      \"out\": 8,\n      \"bias\": true", json.Replace("\r\n", "\n"));
        Assert.Contains("\"init\": \"he_normal\"", json);
        Assert.Contains("\"loss\": \"nll\"", json);
        Assert.NotEqual(spec, spec with { Seed = 1 });
        Assert.NotEqual(spec, ModelSpec.Parse(Everything.Replace("\"p\": 0.25", "\"p\": 0.3")));
    }

    [Fact]
    public void Minimal_spec_has_only_input_and_layers_and_design_md_example_parses()
    {
        var spec = ModelSpec.Parse("""{"input": [10], "layers": [{"type": "linear", "out": 64}, {"type": "relu"}, {"type": "linear", "out": 5}]}""");
        Assert.Null(spec.Loss);
        Assert.Null(spec.Optimizer);
        Assert.Null(spec.Seed);
        Assert.Equal("{\"input\":[10],\"layers\":[{\"type\":\"linear\",\"out\":64,\"bias\":true},{\"type\":\"relu\"},{\"type\":\"linear\",\"out\":5,\"bias\":true}]}", spec.ToJson(indented: false));

        var design = ModelSpec.Parse("""
            {
              "input": [784],
              "layers": [
                {"type": "linear", "out": 256},
                {"type": "relu"},
                {"type": "dropout", "p": 0.2},
                {"type": "linear", "out": 10}
              ],
              "loss": "cross_entropy",
              "optimizer": {"type": "adam", "lr": 0.001},
              "batch_size": 128,
              "epochs": 10,
              "data": {"type": "fashion-mnist"}
            }
            """);
        Assert.Equal("fashion-mnist", design.Data!.Source);
        Assert.Equal(new AdamOptions(), design.Optimizer!.Options);
    }

    public static TheoryData<string, string> Errors => new()
    {
        { """{"input": [10], "layers": [{"type": "linear", "out": 4}, {"type": "linear", "out": -2}]}""", "layers[1].out: expected a positive integer or \"vocab\", got -2" },
        { """{"input": [10], "layers": [{"type": "linear", "out": 4}, {"type": "rleu"}]}""", "layers[1].type: unknown layer type \"rleu\"; known: linear, relu, sigmoid, tanh, step, leaky_relu, elu, gelu, silu, softplus, softmax, log_softmax, identity, flatten, dropout, batch_norm, layer_norm, residual" },
        { """{"input": [10], "layers": [{"type": "linear", "out": 4, "outt": 3}]}""", "layers[0].outt: unknown field; linear takes type, out, bias, init" },
        { """{"input": [10], "layers": [{"type": "linear"}]}""", "layers[0].out: missing; expected a positive integer" },
        { """{"input": [10], "layers": [{"out": 3}]}""", "layers[0].type: missing; expected a layer type, one of linear, " },
        { """{"input": [10], "layers": [{"type": "linear", "out": 2.5}]}""", "layers[0].out: expected a positive integer or \"vocab\", got 2.5" },
        { """{"input": [10], "layers": [{"type": "linear", "out": "4"}]}""", "layers[0].out: expected a positive integer or \"vocab\", got \"4\"" },
        { """{"input": [10], "layers": [{"type": "linear", "out": 4, "bias": 1}]}""", "layers[0].bias: expected true or false, got 1" },
        { """{"input": [10], "layers": [{"type": "linear", "out": 4, "init": "kaiming"}]}""", "layers[0].init: unknown initialization \"kaiming\"; known: xavier_uniform, xavier_normal, he_uniform, he_normal, lecun_normal, orthogonal, zeros, normal, uniform" },
        { """{"input": [10], "layers": [{"type": "linear", "out": 4, "init": {"type": "normal", "gain": 2}}]}""", "layers[0].init.gain: unknown field; normal takes type, mean, std" },
        { """{"input": [10], "layers": [{"type": "linear", "out": 4, "init": {"type": "uniform", "low": 1, "high": 0}}]}""", "layers[0].init.high: high 0 is below low 1" },
        { """{"input": [10], "layers": [{"type": "dropout", "p": 1}]}""", "layers[0].p: expected a number in [0, 1), got 1" },
        { """{"input": [10], "layers": [{"type": "gelu", "approximate": "fast"}]}""", "layers[0].approximate: unknown approximation \"fast\"; known: none, tanh" },
        { """{"input": [10], "layers": [{"type": "relu", "alpha": 1}]}""", "layers[0].alpha: unknown field; relu takes type" },
        { """{"input": [10], "layers": [{"type": "linear", "out": 4, "out": 5}]}""", "layers[0].out: given twice" },
        { """{"input": [3, 4, 5, 6], "layers": [{"type": "relu"}, {"type": "batch_norm"}]}""", "layers[1]: batch_norm needs features [C], [C, L] or images [C, H, W] per sample, but its input is [3, 4, 5, 6]" },
        { """{"input": [4], "layers": [{"type": "softmax", "axis": 0}]}""", "layers[0].axis: axis 0 is not an axis of a sample: with the batch axis the input is 2-D, so axis must be in 1..1 or -1..-1" },
        { """{"input": [4], "layers": [{"type": "softmax", "axis": 1.5}]}""", "layers[0].axis: expected an integer, got 1.5" },
        { """{"input": [4], "layers": [{"type": "flatten", "start_dim": 0}]}""", "layers[0].start_dim: start_dim 0 is not an axis of a sample (1..1, the batch axis 0 excluded)" },
        { """{"input": [4], "layers": [{"type": "residual", "layers": [{"type": "linear", "out": 3}]}]}""", "layers[0].layers: the block maps [4] to [3]; x + f(x) needs the same shape" },
        { """{"input": [4], "layers": [{"type": "residual", "layers": [{"type": "linear", "out": 0}]}]}""", "layers[0].layers[0].out: expected a positive integer or \"vocab\", got 0" },
        { """{"input": [4], "layers": [{"type": "residual", "layers": []}]}""", "layers[0].layers: expected a non-empty list of layers, got []" },
        { """{"layers": [{"type": "relu"}]}""", "input: missing; expected the shape of one sample, e.g. [784]" },
        { """{"input": [], "layers": [{"type": "relu"}]}""", "input: expected the shape of one sample, a list of positive integers such as [784], got []" },
        { """{"input": [3, 0], "layers": [{"type": "relu"}]}""", "input[1]: expected a positive integer, got 0" },
        { """{"input": [3]}""", "layers: missing; expected a non-empty list of layers" },
        { """{"input": [3], "layers": []}""", "layers: expected a non-empty list of layers, got []" },
        { """{"input": [3], "layers": [{"type": "relu"}], "epoch": 3}""", "epoch: unknown field; a model spec takes input, layers, loss, optimizer, schedule, batch_size, epochs, seed, data, l1, l2, clip_grad_norm, early_stopping" },
        { """[1, 2]""", "expected a model spec (a JSON object), got [1, 2]" },
        { """{"input": [3], "layers": [{"type": "relu"}],}""", "not valid JSON: " },
        { """{"input": [784], "layers": [{"type": "linear", "out": 2000000000}]}""", "layers[0].out: a linear layer from 784 to 2000000000 features needs 1568000000000 weights, more than a tensor can hold (2147483591)" },
        { """{"input": [784], "layers": [{"type": "linear", "out": 1000000000000}]}""", "layers[0].out: expected a positive integer or \"vocab\", got 1000000000000" },
        { """{"input": [100000, 100000], "layers": [{"type": "relu"}]}""", "input: a sample of shape [100000, 100000] has more elements than a tensor can hold (2147483591)" },
        { """{"input": [3], "layers": [{"type": "relu"}], "loss": "crossentropy"}""", "loss: unknown loss \"crossentropy\"; known: mse, l1, huber, smooth_l1, bce, bce_with_logits, cross_entropy, nll" },
        { """{"input": [3], "layers": [{"type": "relu"}], "loss": {"type": "mse", "delta": 2}}""", "loss.delta: unknown field; mse takes type" },
        { """{"input": [3], "layers": [{"type": "relu"}], "loss": {"type": "cross_entropy", "label_smoothing": 2}}""", "loss.label_smoothing: expected a number in [0, 1], got 2" },
        { """{"input": [3, 2, 2], "layers": [{"type": "relu"}], "loss": "cross_entropy"}""", "loss: cross_entropy needs class scores [C] per sample, or [T, C] for one class per step, but the network outputs [3, 2, 2]" },
        { """{"input": [3], "layers": [{"type": "relu"}], "optimizer": {"type": "sgd"}}""", "optimizer.lr: missing; sgd needs a learning rate (PyTorch has no default for it)" },
        { """{"input": [3], "layers": [{"type": "relu"}], "optimizer": "sgd"}""", "optimizer.lr: missing; sgd needs a learning rate (PyTorch has no default for it)" },
        { """{"input": [3], "layers": [{"type": "relu"}], "optimizer": {"type": "adam", "lr": -1}}""", "optimizer.lr: expected a learning rate >= 0, got -1" },
        { """{"input": [3], "layers": [{"type": "relu"}], "optimizer": {"type": "adam", "betas": [0.9, 1]}}""", "optimizer.betas[1]: expected a number in [0, 1), got 1" },
        { """{"input": [3], "layers": [{"type": "relu"}], "optimizer": {"type": "adam", "momentum": 0.9}}""", "optimizer.momentum: unknown field; adam takes type, lr, betas, eps, weight_decay, amsgrad" },
        { """{"input": [3], "layers": [{"type": "relu"}], "optimizer": {"type": "sgd", "lr": 0.1, "nesterov": true}}""", "optimizer.nesterov: Nesterov momentum needs momentum > 0 and dampening 0 (momentum 0, dampening 0)" },
        { """{"input": [3], "layers": [{"type": "relu"}], "optimizer": {"type": "lbfgs"}}""", "optimizer.type: unknown optimizer \"lbfgs\"; known: sgd, adam, adamw, rmsprop, adagrad" },
        { """{"input": [3], "layers": [{"type": "relu"}], "schedule": {"type": "cyclic"}}""", "schedule.type: unknown schedule type \"cyclic\"; known: step, multi_step, exponential, cosine, warm_restarts, one_cycle, reduce_on_plateau, warmup" },
        { """{"input": [3], "layers": [{"type": "relu"}], "schedule": {"type": "step"}}""", "schedule.step_size: missing; expected a positive integer" },
        { """{"input": [3], "layers": [{"type": "relu"}], "schedule": {"type": "multistep", "milestones": [5, 3]}}""", "schedule.milestones[1]: milestones must not decrease; 3 follows 5" },
        { """{"input": [3], "layers": [{"type": "relu"}], "schedule": {"type": "warmup", "warmup_steps": 2, "inner": {"type": "plateau"}}}""", "schedule.inner.type: a warmup cannot wrap a reduce_on_plateau schedule" },
        { """{"input": [3], "layers": [{"type": "relu"}], "schedule": {"type": "one_cycle", "anneal_strategy": "exp"}}""", "schedule.anneal_strategy: unknown anneal strategy \"exp\"; known: cos, linear" },
        { """{"input": [3], "layers": [{"type": "relu"}], "optimizer": {"type": "adagrad"}, "schedule": {"type": "one_cycle"}}""", "schedule.cycle_momentum: one_cycle cycles the momentum by default (as PyTorch's OneCycleLR), and adagrad has neither a momentum nor betas: set \"cycle_momentum\": false" },
        { """{"input": [3], "layers": [{"type": "relu"}], "schedule": {"type": "one_cycle", "base_momentum": -0.1}}""", "schedule.base_momentum: expected a number >= 0, got -0.1" },
        { """{"input": [3], "layers": [{"type": "relu"}], "batch_size": 0}""", "batch_size: expected a positive integer, got 0" },
        { """{"input": [3], "layers": [{"type": "relu"}], "epochs": -1}""", "epochs: expected a positive integer, got -1" },
        { """{"input": [3], "layers": [{"type": "relu"}], "seed": -5}""", "seed: expected a non-negative integer, got -5" },
        { """{"input": [3], "layers": [{"type": "relu"}], "l2": -0.1}""", "l2: expected a number >= 0, got -0.1" },
        { """{"input": [3], "layers": [{"type": "relu"}], "clip_grad_norm": 0}""", "clip_grad_norm: expected a positive number, got 0" },
        { """{"input": [3], "layers": [{"type": "relu"}], "data": {"samples": 10}}""", "data.source: missing; expected a data source (a synthetic name, fashion-mnist, a CSV path or idx:IMAGES,LABELS)" },
        { """{"input": [3], "layers": [{"type": "relu"}], "data": {"source": "xor", "scale": "unit"}}""", "data.scale: unknown scaling \"unit\"; known: standardize, minmax" },
        { """{"input": [3], "layers": [{"type": "relu"}], "data": {"source": "xor", "validation_split": 0.5, "test_split": 0.5}}""", "data.test_split: validation_split and test_split together leave no training data (their sum must be below 1)" },
        { """{"input": [3], "layers": [{"type": "relu"}], "data": {"source": "xor", "augment": {"rotate": 5}}}""", "data.augment.rotate: unknown field; augment takes shift, crop, flip, noise" },
        { """{"input": [3], "layers": [{"type": "relu"}], "data": {"source": "xor", "augment": {"shift": 2, "crop": 2}}}""", "data.augment.crop: give the padding of a random crop as \"crop\" or \"shift\", not both (they are the same transform)" },
        { """{"input": [3], "layers": [{"type": "relu"}], "early_stopping": {"min_delta": 0.1}}""", "early_stopping.patience: missing; expected a non-negative integer" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Each_error_names_the_json_path(string json, string message)
    {
        var e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse(json));
        Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"got \"{e.Message}\"");
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(e.Message, (e.JsonPath.Length == 0 ? "" : e.JsonPath + ": ") + e.Detail);
    }

    [Fact]
    public void Errors_name_the_file_when_there_is_one()
    {
        string path = Path.Combine(Path.GetTempPath(), $"neurite-spec-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{"input": [10], "layers": [{"type": "linear", "out": -2}]}""");
        try
        {
            var e = Assert.Throws<ModelSpecException>(() => ModelSpec.Load(path));
            Assert.Equal($"{path}: layers[0].out: expected a positive integer or \"vocab\", got -2", e.Message);
            Assert.Equal("layers[0].out", e.JsonPath);
        }
        finally
        {
            File.Delete(path);
        }
        Assert.Throws<FileNotFoundException>(() => ModelSpec.Load(path));
    }

    [Fact]
    public void Building_is_seeded_and_names_layers_as_pytorch()
    {
        var spec = ModelSpec.Parse(Everything);
        var a = (Sequential)spec.Build();
        var b = spec.Build();
        var c = (spec with { Seed = 7 }).Build();
        var stateA = a.StateDict();
        Assert.Equal(
            ["0.weight", "0.bias", "11.weight", "11.bias", "11.running_mean", "11.running_var", "11.num_batches_tracked",
             "14.weight", "14.bias", "15.block.0.weight", "15.block.0.bias", "16.weight"],
            stateA.Keys);
        foreach (var (name, tensor) in stateA)
        {
            Assert.Equal(tensor.ToArray(), b.StateDict()[name].ToArray());
        }
        Assert.NotEqual(stateA["0.weight"].ToArray(), c.StateDict()["0.weight"].ToArray());
        Assert.Equal(spec.Summarize().TotalParams, a.ParameterCount);

        // Module types and options reach the modules.
        Assert.IsType<Linear>(a[0]);
        Assert.Equal("LeakyReLU(negative_slope=0.2)", a[5].Describe());
        Assert.Equal("GELU(approximate='tanh')", a[7].Describe());
        Assert.Equal("BatchNorm1d(2, eps=1E-05, momentum=0.2, affine=True)", a[11].Describe());
        Assert.Equal("Dropout(p=0.25)", a[13].Describe());
        Assert.Equal("Softmax(dim=1)", a[17].Describe());
        Assert.Equal("LogSoftmax(dim=-1)", a[18].Describe());

        // The built network runs: a batch of 5 samples [2, 6] → [5, 3], rows of log-probabilities of a softmax.
        var y = a.Eval().Call(Tensor.Uniform([5, 2, 6], -1, 1, new Generator(3)));
        Assert.Equal([5, 3], y.Shape.ToArray());
    }

    [Fact]
    public void Initializations_follow_torch_nn_init()
    {
        Linear Build(string init, int input = 400, int output = 300) =>
            (Linear)((Sequential)ModelSpec.Parse($$"""{"input": [{{input}}], "layers": [{"type": "linear", "out": {{output}}, "init": {{init}}}]}""").Build())[0];

        var zeros = Build("\"zeros\"");
        Assert.All(zeros.Weight.ToArray(), v => Assert.Equal(0f, v));
        // Xavier uniform: bound √(6 / (400 + 300)) ≈ 0.0926, and the bias starts at zero.
        var xavier = Build("\"xavier_uniform\"");
        float bound = MathF.Sqrt(6f / 700f);
        Assert.All(xavier.Weight.ToArray(), v => Assert.InRange(v, -bound, bound));
        Assert.True(xavier.Weight.ToArray().Max() > 0.9f * bound);
        Assert.All(xavier.Bias!.ToArray(), v => Assert.Equal(0f, v));
        // He normal: std √(2 / 400) ≈ 0.0707 over 120,000 draws.
        var he = Build("\"he_normal\"").Weight.ToArray();
        double std = Math.Sqrt(he.Select(v => (double)v * v).Average());
        Assert.InRange(std, 0.0707 * 0.98, 0.0707 * 1.02);
        var normal = Build("""{"type": "normal", "mean": 3, "std": 0.5}""").Weight.ToArray();
        Assert.InRange(normal.Average(), 2.99, 3.01);
        var uniform = Build("""{"type": "uniform", "low": 2, "high": 3}""").Weight.ToArray();
        Assert.All(uniform, v => Assert.InRange(v, 2f, 3f));
        // Orthogonal [30, 50]: orthonormal rows, W·Wᵀ = I.
        var w = Build("\"orthogonal\"", 50, 30).Weight;
        for (int i = 0; i < 30; i++)
        {
            for (int j = 0; j < 30; j++)
            {
                double dot = 0;
                for (int k = 0; k < 50; k++)
                {
                    dot += w[i, k] * w[j, k];
                }
                Assert.Equal(i == j ? 1.0 : 0.0, dot, 1e-5);
            }
        }
        // PyTorch's default: U(−1/√in, 1/√in) with a non-zero bias.
        var plain = Build("\"lecun_normal\"");
        Assert.InRange(Math.Sqrt(plain.Weight.ToArray().Select(v => (double)v * v).Average()), 0.05 * 0.98, 0.05 * 1.02);
    }

    [Fact]
    public void Summary_of_the_seed_network_has_1029_parameters()
    {
        // 10-64-5: 10·64 + 64 = 704 and 64·5 + 5 = 325, so 1029.
        var spec = ModelSpec.Parse("""{"input": [10], "layers": [{"type": "linear", "out": 64}, {"type": "relu"}, {"type": "linear", "out": 5}]}""");
        var summary = spec.Summarize();
        Assert.Equal(1029, summary.TotalParams);
        Assert.Equal(1029, summary.TrainableParams);
        Assert.Equal([-1, 10], summary.InputShape);
        Assert.Equal(
            [("0", "linear", "-1,64", 704L), ("1", "relu", "-1,64", 0L), ("2", "linear", "-1,5", 325L)],
            summary.Layers.Select(l => (l.Name, l.Type, string.Join(",", l.OutputShape), l.Params)));
        // Multiply–accumulates per sample: 10·64 = 640 and 64·5 = 320, so 960.
        Assert.Equal([640L, 0, 320], summary.Layers.Select(l => l.MultiplyAccumulates));
        Assert.Equal(960, summary.TotalMultiplyAccumulates);
        Assert.Equal(
            """{"total_params":1029,"trainable_params":1029,"total_macs":960,"layers":[{"name":"0","type":"linear","output_shape":[null,64],"params":704,"macs":640},{"name":"1","type":"relu","output_shape":[null,64],"params":0,"macs":0},{"name":"2","type":"linear","output_shape":[null,5],"params":325,"macs":320}]}""",
            summary.ToJson());
        Assert.Equal(summary.TotalParams, spec.Build().ParameterCount);
    }

    [Fact]
    public void Summary_counts_norms_residuals_and_bias_free_layers()
    {
        var spec = ModelSpec.Parse("""
            {"input": [1, 28, 28], "layers": [
              {"type": "flatten"}, {"type": "linear", "out": 32, "bias": false}, {"type": "batch_norm"},
              {"type": "residual", "layers": [{"type": "linear", "out": 32}, {"type": "layer_norm"}]},
              {"type": "batch_norm", "affine": false}]}
            """);
        var summary = spec.Summarize();
        // flatten [784]; 784·32 = 25088; batch norm γ, β: 64; residual 32·32 + 32 + layer norm 64 = 1120; no affine: 0.
        Assert.Equal([0L, 25088, 64, 1120, 0], summary.Layers.Select(l => l.Params));
        Assert.Equal([-1, 784], summary.Layers[0].OutputShape);
        Assert.Equal(26272, summary.TotalParams);
        Assert.Equal(26272, spec.Build().ParameterCount);
        // MACs: 784·32 = 25088; batch norm one per value, 32; residual 32·32 = 1024 and layer norm two per value, 64; 32.
        Assert.Equal([0L, 25088, 32, 1088, 32], summary.Layers.Select(l => l.MultiplyAccumulates));
        Assert.Equal(26240, summary.TotalMultiplyAccumulates);
    }

    [Fact]
    public void Multiply_accumulates_of_a_linear_layer_count_every_position()
    {
        // A linear layer over [3, 4] applies its 4 → 5 map at 3 positions: 3·4·5 = 60.
        var spec = ModelSpec.Parse("""{"input": [3, 4], "layers": [{"type": "linear", "out": 5}, {"type": "batch_norm"}, {"type": "dropout"}]}""");
        Assert.Equal([60L, 15, 0], spec.Summarize().Layers.Select(l => l.MultiplyAccumulates));
    }

    [Fact]
    public void Loss_and_optimizer_are_built_from_the_spec()
    {
        var spec = ModelSpec.Parse("""
            {"input": [3], "layers": [{"type": "linear", "out": 2}],
             "loss": {"type": "cross_entropy", "label_smoothing": 0.1},
             "optimizer": {"type": "sgd", "lr": 0.5, "momentum": 0.9, "nesterov": true, "weight_decay": 0.01}}
            """);
        var model = spec.Build();
        var optimizer = spec.Optimizer!.Build(model.Parameters());
        Assert.IsType<SGD>(optimizer);
        Assert.Equal(new SGDOptions(0.5, Momentum: 0.9, WeightDecay: 0.01, Nesterov: true), optimizer.ParamGroups[0].Options);
        Assert.True(spec.Loss!.TakesClassIndices);

        var logits = Tensor.From(new float[,] { { 2f, -1f }, { 0.5f, 0.5f } });
        var classes = Tensor.From([0f, 1f]);
        Assert.Equal(Losses.CrossEntropy(logits, classes, 0.1f).Item(), spec.Loss.Objective().Loss(logits, classes).Item());
        var target = Tensor.From(new float[,] { { 1f, 0f }, { 0f, 3f } });
        Assert.Equal(Losses.Huber(logits, target, 0.5f).Item(), new LossSpec("huber", Delta: 0.5).Objective().Loss(logits, target).Item());
        Assert.Equal(Losses.SmoothL1(logits, target, 2f).Item(), new LossSpec("smooth_l1", Beta: 2).Objective().Loss(logits, target).Item());
        Assert.False(new LossSpec("mse").TakesClassIndices);

        foreach (var (json, type) in new[]
        {
            ("\"adam\"", typeof(Adam)), ("{\"type\": \"adamw\"}", typeof(AdamW)), ("{\"type\": \"rmsprop\", \"centered\": true, \"momentum\": 0.5}", typeof(RMSprop)),
            ("{\"type\": \"adagrad\", \"lr_decay\": 0.1, \"initial_accumulator_value\": 0.2}", typeof(Adagrad)),
        })
        {
            var parsed = ModelSpec.Parse($$"""{"input": [3], "layers": [{"type": "linear", "out": 2}], "optimizer": {{json}}}""");
            Assert.IsType(type, parsed.Optimizer!.Build(model.Parameters()));
            Assert.Equal(parsed, ModelSpec.Parse(parsed.ToJson()));
        }
        Assert.Equal(new AdamWOptions(), ModelSpec.Parse("""{"input": [3], "layers": [{"type": "relu"}], "optimizer": "adamw"}""").Optimizer!.Options);
    }

    [Fact]
    public void Schedules_parse_with_pytorch_defaults_and_aliases_and_round_trip()
    {
        ScheduleSpec Parse(string schedule)
        {
            var spec = ModelSpec.Parse($$"""{"input": [3], "layers": [{"type": "relu"}], "schedule": {{schedule}}}""");
            Assert.Equal(spec, ModelSpec.Parse(spec.ToJson()));
            return spec.Schedule!;
        }
        Assert.Equal(new StepScheduleSpec(7, 0.1), Parse("""{"type": "step", "step_size": 7}"""));
        Assert.Equal(new MultiStepScheduleSpec([5, 12, 12, 30], 0.3), Parse("""{"type": "multistep", "milestones": [5, 12, 12, 30], "gamma": 0.3}"""));
        Assert.Equal(new ExponentialScheduleSpec(0.93), Parse("""{"type": "exponential", "gamma": 0.93}"""));
        Assert.Equal(new WarmRestartsScheduleSpec(5, 2, 0.0005), Parse("""{"type": "cosine_warm_restarts", "t_0": 5, "t_mult": 2, "eta_min": 0.0005}"""));
        Assert.Equal(new OneCycleScheduleSpec(TotalSteps: 50), Parse("""{"type": "one_cycle", "total_steps": 50}"""));
        Assert.Equal(new OneCycleScheduleSpec(TotalSteps: 50, CycleMomentum: false, MaxMomentum: 0.9), Parse("""{"type": "one_cycle", "total_steps": 50, "cycle_momentum": false, "max_momentum": 0.9}"""));
        Assert.Equal(new ReduceOnPlateauScheduleSpec(Mode: "max", Patience: 2), Parse("""{"type": "plateau", "mode": "max", "patience": 2}"""));
        Assert.Equal(new WarmupScheduleSpec(1.0 / 3, 4), Parse("""{"type": "warmup", "warmup_steps": 4}"""));
    }
}
