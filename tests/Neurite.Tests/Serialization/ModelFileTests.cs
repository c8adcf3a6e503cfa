using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Neurite.Autograd;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Tests.Reference;

namespace Neurite.Tests.Serialization;

public sealed class ModelFileTests : IDisposable
{
    private const string Spec = """
        {"input": [6], "layers": [
          {"type": "linear", "out": 16}, {"type": "batch_norm"}, {"type": "gelu"}, {"type": "dropout", "p": 0.1},
          {"type": "residual", "layers": [{"type": "linear", "out": 16}, {"type": "tanh"}]},
          {"type": "layer_norm"}, {"type": "linear", "out": 4}],
         "loss": "cross_entropy", "optimizer": {"type": "adam", "lr": 0.01}, "seed": 5}
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-modelfile-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static Tensor Batch(int n, int features, ulong seed) => Tensor.Uniform([n, features], -2, 2, new Generator(seed));

    private static void Train(Module model, Optimizer optimizer, LossSpec loss, int steps, int from = 0)
    {
        model.Train();
        for (int step = from; step < from + steps; step++)
        {
            var x = Batch(8, 6, (ulong)step);
            var y = Tensor.From(Enumerable.Range(0, 8).Select(i => (float)((i + step) % 4)).ToArray());
            optimizer.ZeroGrad();
            loss.Objective().Loss(model.Call(x), y).Backward();
            optimizer.Step();
        }
    }

    [Fact]
    public void A_small_file_whose_spec_describes_a_huge_network_is_refused_before_the_network_is_built()
    {
        // 900 million parameters (3.6 GB) described in a 200-byte file that holds no weights.
        string path = PathOf("huge.safetensors");
        SafeTensors.Save(path, [], new Dictionary<string, string>
        {
            [ModelFile.SpecKey] = """{"input": [30000], "layers": [{"type": "linear", "out": 30000}]}""",
        });
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
        Assert.Equal($"{path}: the weights do not fit the model: its spec has at least 900030000 parameters, but the file holds 0 values.", e.Message);
    }

    [Fact]
    public void A_saved_model_loads_with_its_spec_metadata_and_identical_outputs()
    {
        var spec = ModelSpec.Parse(Spec);
        var model = spec.Build();
        Train(model, spec.Optimizer!.Build(model.Parameters()), spec.Loss!, 3);
        model.Eval();
        string path = PathOf("model.safetensors");
        var extra = new Dictionary<string, string> { ["neurite.classes"] = "[\"a\",\"b\",\"c\",\"d\"]", ["neurite.preprocessing"] = "{\"scale\":\"minmax\"}" };
        ModelFile.Save(path, model, spec, extra);

        var loaded = ModelFile.Load(path);
        Assert.Equal(spec, loaded.Spec);
        Assert.Equal(spec, ModelFile.LoadSpec(path));
        Assert.Equal("[\"a\",\"b\",\"c\",\"d\"]", loaded.Metadata["neurite.classes"]);
        Assert.Equal("{\"scale\":\"minmax\"}", loaded.Metadata["neurite.preprocessing"]);
        Assert.Equal("pt", loaded.Metadata["format"]);
        Assert.Equal(spec.ToJson(indented: false), loaded.Metadata[ModelFile.SpecKey]);
        // Buffers travel too: batch norm's running statistics after three training batches.
        Assert.Equal(3f, loaded.Module.StateDict()["1.num_batches_tracked"].Item());
        Assert.Equal(model.StateDict()["1.running_var"].ToArray(), loaded.Module.StateDict()["1.running_var"].ToArray());

        var x = Batch(10, 6, 99);
        Assert.Equal(model.Call(x).ToArray(), loaded.Module.Eval().Call(x).ToArray());
        Assert.Equal(spec.Summarize(), ModelSpec.Parse(loaded.Metadata[ModelFile.SpecKey]).Summarize() with { }, SummaryComparer.Instance);
    }

    private sealed class SummaryComparer : IEqualityComparer<ModelSummary>
    {
        public static readonly SummaryComparer Instance = new();

        public bool Equals(ModelSummary? x, ModelSummary? y) => x!.ToJson() == y!.ToJson();

        public int GetHashCode(ModelSummary obj) => obj.ToJson().GetHashCode(StringComparison.Ordinal);
    }

    [Fact]
    public void Extra_metadata_cannot_replace_the_spec()
    {
        var spec = ModelSpec.Parse(Spec);
        var e = Assert.Throws<ArgumentException>(() => ModelFile.Save(PathOf("m.safetensors"), spec.Build(), spec, new Dictionary<string, string> { [ModelFile.SpecKey] = "{}" }));
        Assert.StartsWith("ModelFile: the metadata key \"neurite.spec\" is written by Neurite itself", e.Message);
        Assert.False(File.Exists(PathOf("m.safetensors")));
    }

    [Fact]
    public void A_plain_safetensors_file_is_not_a_model_file_and_a_bad_spec_names_the_file()
    {
        string plain = PathOf("plain.safetensors");
        SafeTensors.Save(plain, [new("0.weight", Tensor.Zeros([2, 2]))]);
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.Load(plain));
        Assert.Equal(e.Message, Assert.Throws<InvalidDataException>(() => ModelFile.LoadSpec(plain)).Message);
        Assert.Equal($"{plain}: no \"neurite.spec\" in __metadata__, so this is not a Neurite model file; plain weights load into a model built from a spec (--init).", e.Message);

        string bad = PathOf("bad.safetensors");
        SafeTensors.Save(bad, [], new Dictionary<string, string> { [ModelFile.SpecKey] = """{"input": [2], "layers": [{"type": "linear", "out": 0}]}""" });
        var s = Assert.Throws<ModelSpecException>(() => ModelFile.Load(bad));
        Assert.Equal($"{bad}: __metadata__.neurite.spec: layers[0].out: expected a positive integer or \"vocab\", got 0", s.Message);

        string mismatch = PathOf("mismatch.safetensors");
        SafeTensors.Save(mismatch, [new("0.weight", Tensor.Zeros([3, 2])), new("1.weight", Tensor.Zeros([1]))],
            new Dictionary<string, string> { [ModelFile.SpecKey] = """{"input": [2], "layers": [{"type": "linear", "out": 4}]}""" });
        var m = Assert.Throws<InvalidDataException>(() => ModelFile.Load(mismatch));
        Assert.Equal($"{mismatch}: the weights do not fit the model: missing 0.bias; unexpected 1.weight; mis-shaped 0.weight (file [3, 2], model [4, 2]).", m.Message);
    }

    [Fact]
    public void PyTorch_weights_load_into_a_model_built_from_the_same_architecture()
    {
        // tests/reference/gen_safetensors.py: torch's state_dict written as safetensors, num_batches_tracked as I64.
        var fixture = Fixture.Load("torch_mlp.json");
        var spec = ModelSpec.Parse(fixture.GetProperty("spec").GetRawText());
        var model = spec.Build();
        string path = Path.Combine(AppContext.BaseDirectory, "reference", "torch_mlp.safetensors");
        Assert.Equal(fixture.GetProperty("state_names").EnumerateArray().Select(n => n.GetString()), model.StateDict().Keys);

        ModelFile.LoadWeights(path, model);
        Assert.Equal(3f, model.StateDict()["1.num_batches_tracked"].Item());
        var output = model.Eval().Call(Fixture.ReadTensor(fixture.GetProperty("input")));
        Fixture.AssertClose(Fixture.ReadTensor(fixture.GetProperty("output")), output, "torch_mlp output");
    }

    [Fact]
    public void PyTorch_image_model_weights_load_from_float64_tensors_with_num_batches_tracked()
    {
        // tests/reference/gen_safetensors_cnn.py: BatchNorm2d → ReLU → Dropout2d → Flatten → Linear, trained three
        // batches, every floating-point tensor written as F64 and num_batches_tracked as I64 [].
        var fixture = Fixture.Load("torch_bn2d.json");
        Assert.Equal("torch.float64", fixture.GetProperty("dtypes").GetProperty("0.running_var").GetString());
        Assert.Equal("torch.int64", fixture.GetProperty("dtypes").GetProperty("0.num_batches_tracked").GetString());
        var spec = ModelSpec.Parse(fixture.GetProperty("spec").GetRawText());
        var model = spec.Build();
        string path = Path.Combine(AppContext.BaseDirectory, "reference", "torch_bn2d.safetensors");
        Assert.Equal(fixture.GetProperty("state_names").EnumerateArray().Select(n => n.GetString()), model.StateDict().Keys);

        ModelFile.LoadWeights(path, model);
        var bn = Assert.IsType<BatchNorm2d>(model.NamedChildren().First().Value);
        Assert.Equal(3f, bn.NumBatchesTracked.Item());
        Assert.NotEqual(0f, bn.RunningMean.Data[0]);
        var input = Fixture.ReadTensor(fixture.GetProperty("input"));
        var expected = Fixture.ReadTensor(fixture.GetProperty("output"));
        Fixture.AssertClose(expected, model.Eval().Call(input), "torch_bn2d output");

        // Written back as Neurite writes every tensor: F32, num_batches_tracked as a scalar [] (PyTorch's load_state_dict
        // copies it into its int64 buffer); read back, the model computes the same.
        string saved = PathOf("bn2d.safetensors");
        ModelFile.Save(saved, model, spec);
        var header = Encoding.UTF8.GetString(File.ReadAllBytes(saved));
        Assert.Contains("\"0.num_batches_tracked\":{\"dtype\":\"F32\",\"shape\":[]", header);
        Assert.DoesNotContain("F64", header);
        var loaded = ModelFile.Load(saved);
        Assert.Equal(3f, loaded.Module.StateDict()["0.num_batches_tracked"].Item());
        Fixture.AssertClose(expected, loaded.Module.Eval().Call(input), "torch_bn2d output after a round trip");
    }

    [Fact]
    public void PyTorch_weights_that_do_not_fit_are_listed_and_nothing_is_loaded()
    {
        var spec = ModelSpec.Parse("""{"input": [4], "layers": [{"type": "linear", "out": 8}, {"type": "relu"}, {"type": "linear", "out": 6}, {"type": "linear", "out": 3}]}""");
        var model = spec.Build();
        var before = model.StateDict()["0.weight"].ToArray();
        string path = Path.Combine(AppContext.BaseDirectory, "reference", "torch_mlp.safetensors");
        var e = Assert.Throws<InvalidDataException>(() => ModelFile.LoadWeights(path, model));
        Assert.Equal(
            $"{path}: the weights do not fit the model: missing 2.weight, 2.bias; unexpected 1.num_batches_tracked, 1.bias, 1.running_mean, 1.running_var, 1.weight, 5.bias, 5.weight; "
            + "mis-shaped 3.weight (file [6, 8], model [3, 6]), 3.bias (file [6], model [3]).",
            e.Message);
        Assert.Equal(before, model.StateDict()["0.weight"].ToArray());
    }

    public static TheoryData<string> OptimizerSpecs => new()
    {
        """{"type": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": true, "weight_decay": 0.001}""",
        """{"type": "adam", "lr": 0.01, "amsgrad": true}""",
        """{"type": "adamw", "lr": 0.01}""",
        """{"type": "rmsprop", "lr": 0.01, "momentum": 0.5, "centered": true}""",
        """{"type": "adagrad", "lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.1}""",
    };

    [Theory]
    [MemberData(nameof(OptimizerSpecs))]
    public void A_resumed_checkpoint_continues_bit_identically(string optimizerJson)
    {
        // No dropout: its masks come from the generator the model was built with, whose state is the
        // caller's to keep (in neurite.training); this test is about the weights and the optimizer.
        var spec = ModelSpec.Parse(Spec.Replace("""{"type": "adam", "lr": 0.01}""", optimizerJson).Replace("""{"type": "dropout", "p": 0.1},""", ""));
        Assert.DoesNotContain(spec.Layers, layer => layer is DropoutSpec);
        const int N = 7, K = 3;

        var first = spec.Build();
        var firstOptimizer = spec.Optimizer!.Build(first.Parameters());
        Train(first, firstOptimizer, spec.Loss!, K);
        // A schedule would have changed the learning rate: the groups' options are saved too.
        firstOptimizer.ParamGroups[0].Lr = firstOptimizer.ParamGroups[0].Lr / 3;
        string path = PathOf("checkpoint.safetensors");
        Checkpoint.Save(path, spec, first, firstOptimizer, new JsonObject { ["epoch"] = K, ["best"] = 0.25 });

        var checkpoint = Checkpoint.Load(path);
        Assert.Equal(spec, checkpoint.Spec);
        Assert.Equal(K, (int)checkpoint.Training["epoch"]!);
        Assert.Equal(0.25, (double)checkpoint.Training["best"]!);
        var resumed = checkpoint.Spec!.Build(new Generator(12345)); // different initial weights: they must come from the file
        var resumedOptimizer = checkpoint.Spec.Optimizer!.Build(resumed.Parameters());
        checkpoint.Restore(resumed, resumedOptimizer);
        Assert.Equal(firstOptimizer.ParamGroups[0].Lr, resumedOptimizer.ParamGroups[0].Lr);
        resumedOptimizer.ParamGroups[0].Lr *= 3;
        firstOptimizer.ParamGroups[0].Lr *= 3;

        // The reference: the same run, continued without saving.
        Train(first, firstOptimizer, spec.Loss!, N - K, K);
        Train(resumed, resumedOptimizer, spec.Loss!, N - K, K);
        foreach (var (name, tensor) in first.StateDict())
        {
            Assert.Equal(tensor.Select(BitConverter.SingleToInt32Bits), resumed.StateDict()[name].Select(BitConverter.SingleToInt32Bits));
        }
        var a = firstOptimizer.StateDict();
        var b = resumedOptimizer.StateDict();
        Assert.Equal(a.Parameters.Keys.Order(), b.Parameters.Keys.Order());
        foreach (var (index, state) in a.Parameters)
        {
            Assert.Equal(state.Step, b.Parameters[index].Step);
            Assert.Equal(state.Buffers.Keys.Order(), b.Parameters[index].Buffers.Keys.Order());
            foreach (var (name, buffer) in state.Buffers)
            {
                Assert.Equal(buffer, b.Parameters[index].Buffers[name]);
            }
        }
    }

    [Fact]
    public void Checkpoint_layout_names_model_and_optimizer_entries()
    {
        var spec = ModelSpec.Parse("""{"input": [3], "layers": [{"type": "linear", "out": 2}], "loss": "mse", "optimizer": {"type": "adam", "lr": 0.1}}""");
        var model = spec.Build();
        var optimizer = spec.Optimizer!.Build(model.Parameters());
        model.ZeroGrad();
        spec.Loss!.Objective().Loss(model.Call(Tensor.Ones([4, 3])), Tensor.Zeros([4, 2])).Backward();
        optimizer.Step();
        string path = PathOf("layout.safetensors");
        Checkpoint.Save(path, spec, model, optimizer);

        var file = SafeTensors.Load(path);
        Assert.Equal(
            ["model.0.bias", "model.0.weight", "optimizer.0.exp_avg", "optimizer.0.exp_avg_sq", "optimizer.1.exp_avg", "optimizer.1.exp_avg_sq"],
            file.Tensors.Keys);
        Assert.Equal([6], file.Tensors["optimizer.0.exp_avg"].Shape.ToArray());
        Assert.Equal(
            """{"groups":[{"type":"adam","lr":0.1,"betas":[0.9,0.999],"eps":1E-08,"weight_decay":0,"amsgrad":false}],"state":{"0":{"step":1},"1":{"step":1}}}""",
            file.Metadata[Checkpoint.OptimizerKey]);
        Assert.Equal("{}", file.Metadata[Checkpoint.TrainingKey]);
    }

    [Fact]
    public void A_checkpoint_of_two_named_optimizers_keeps_each_apart_and_restores_all_or_none()
    {
        var spec = ModelSpec.Parse("""{"input": [3], "layers": [{"type": "linear", "out": 2}, {"type": "linear", "out": 1}]}""");
        var model = spec.Build();
        var parameters = model.Parameters().ToArray();
        var first = new Adam(parameters[..2], new AdamOptions(0.1));
        var second = new SGD(parameters[2..], new SGDOptions(0.2, Momentum: 0.9));
        model.ZeroGrad();
        Ops.Sum(model.Call(Tensor.Ones([4, 3]))).Backward();
        first.Step();
        second.Step();
        string path = PathOf("two.safetensors");
        Checkpoint.Save(path, spec, model, new Dictionary<string, Optimizer> { ["first_optimizer"] = first, ["second_optimizer"] = second });

        var file = SafeTensors.Load(path);
        Assert.Equal(["first_optimizer.0.exp_avg", "first_optimizer.0.exp_avg_sq", "first_optimizer.1.exp_avg", "first_optimizer.1.exp_avg_sq", "second_optimizer.0.momentum_buffer", "second_optimizer.1.momentum_buffer"],
            file.Tensors.Keys.Where(k => !k.StartsWith("model.", StringComparison.Ordinal)).Order());
        Assert.Contains("neurite.first_optimizer", file.Metadata.Keys);
        Assert.DoesNotContain(Checkpoint.OptimizerKey, file.Metadata.Keys);

        var restoredModel = spec.Build(new Generator(5));
        var restoredParameters = restoredModel.Parameters().ToArray();
        var restoredFirst = new Adam(restoredParameters[..2], new AdamOptions(0.1));
        var restoredSecond = new SGD(restoredParameters[2..], new SGDOptions(0.2, Momentum: 0.9));
        var checkpoint = Checkpoint.Load(path);
        // A wrong name, or the second optimizer of the wrong kind: nothing changes anywhere.
        var names = Assert.Throws<InvalidDataException>(() => checkpoint.Restore(restoredModel, new Dictionary<string, Optimizer> { ["first_optimizer"] = restoredFirst }));
        Assert.Equal($"{path}: the checkpoint holds the optimizers first_optimizer, second_optimizer, the run has first_optimizer.", names.Message);
        var kind = Assert.Throws<InvalidDataException>(() => checkpoint.Restore(restoredModel,
            new Dictionary<string, Optimizer> { ["first_optimizer"] = restoredFirst, ["second_optimizer"] = new Adam(restoredParameters[2..]) }));
        Assert.StartsWith($"{path}: the state of second_optimizer does not fit the run's second_optimizer: ", kind.Message);
        Assert.Empty(restoredFirst.StateDict().Parameters);
        Assert.NotEqual(model.StateDict()["0.weight"].ToArray(), restoredModel.StateDict()["0.weight"].ToArray());

        checkpoint.Restore(restoredModel, new Dictionary<string, Optimizer> { ["second_optimizer"] = restoredSecond, ["first_optimizer"] = restoredFirst });
        Assert.Equal(model.StateDict()["0.weight"].ToArray(), restoredModel.StateDict()["0.weight"].ToArray());
        Assert.Equal(first.StateDict().Parameters[1].Buffers["exp_avg_sq"], restoredFirst.StateDict().Parameters[1].Buffers["exp_avg_sq"]);
        Assert.Equal(second.StateDict().Parameters[0].Buffers["momentum_buffer"], restoredSecond.StateDict().Parameters[0].Buffers["momentum_buffer"]);

        var bad = Assert.Throws<ArgumentException>(() => Checkpoint.Save(path, spec, model, new Dictionary<string, Optimizer> { ["model"] = first }));
        Assert.StartsWith("Checkpoint: \"model\" is not an optimizer's name", bad.Message);
    }

    [Fact]
    public void Checkpoint_errors_name_the_file_and_entry_and_restore_changes_nothing_on_failure()
    {
        var spec = ModelSpec.Parse("""{"input": [3], "layers": [{"type": "linear", "out": 2}], "optimizer": {"type": "sgd", "lr": 0.1, "momentum": 0.9}}""");
        var model = spec.Build();
        var sgd = spec.Optimizer!.Build(model.Parameters());
        string path = PathOf("c.safetensors");
        Checkpoint.Save(path, spec, model, sgd);

        // Into an Adam: the optimizer does not fit, and the model is left alone.
        var other = spec.Build(new Generator(9));
        var weights = other.StateDict()["0.weight"].ToArray();
        var e = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path).Restore(other, new Adam(other.Parameters())));
        Assert.Equal($"{path}: the optimizer state does not fit the optimizer: Adam.LoadStateDict: group 0 has SGDOptions, expected AdamOptions. (Parameter 'state')", e.Message);
        Assert.Equal(weights, other.StateDict()["0.weight"].ToArray());

        // Into a model of another shape: the optimizer keeps its state.
        var wide = ModelSpec.Parse("""{"input": [3], "layers": [{"type": "linear", "out": 5}]}""").Build();
        var wideSgd = new SGD(wide.Parameters(), new SGDOptions(0.5));
        var m = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(path).Restore(wide, wideSgd));
        Assert.StartsWith($"{path}: ", m.Message);
        Assert.Equal(0.5, wideSgd.ParamGroups[0].Lr);

        string broken = PathOf("broken.safetensors");
        SafeTensors.Save(broken, [new("model.0.weight", Tensor.Zeros([2, 3])), new("optimizer.7.momentum_buffer", Tensor.Zeros([6]))], new Dictionary<string, string>
        {
            [ModelFile.SpecKey] = spec.ToJson(),
            [Checkpoint.OptimizerKey] = """{"groups": [{"type": "sgd", "lr": -1}], "state": {}}""",
            [Checkpoint.TrainingKey] = "{}",
        });
        var s = Assert.Throws<ModelSpecException>(() => Checkpoint.Load(broken));
        Assert.Equal($"{broken}: __metadata__.neurite.optimizer: groups[0].lr: expected a learning rate >= 0, got -1", s.Message);

        File.Delete(broken);
        SafeTensors.Save(broken, [new("optimizer.7.momentum_buffer", Tensor.Zeros([6]))], new Dictionary<string, string>
        {
            [ModelFile.SpecKey] = spec.ToJson(),
            [Checkpoint.OptimizerKey] = """{"groups": [{"type": "sgd", "lr": 1}], "state": {}}""",
            [Checkpoint.TrainingKey] = "{}",
        });
        var t = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(broken));
        Assert.Equal($"{broken}: tensor \"optimizer.7.momentum_buffer\" belongs to parameter 7, which has no entry in neurite.optimizer.state.", t.Message);

        // A model file is not a checkpoint.
        var n = Assert.Throws<InvalidDataException>(() => Checkpoint.Load(WriteModel(spec)));
        Assert.EndsWith("no \"neurite.optimizer\" in __metadata__, so this is not a Neurite checkpoint.", n.Message);
    }

    private string WriteModel(ModelSpec spec)
    {
        string path = PathOf("plain-model.safetensors");
        ModelFile.Save(path, spec.Build(), spec);
        return path;
    }

    [Fact]
    public void Optimizer_metadata_is_json_that_round_trips_options_exactly()
    {
        var options = new AdamWOptions(Lr: 0.1 / 3, Beta1: 0.85, Eps: 1e-7, WeightDecay: 0.02);
        var spec = ModelSpec.Parse("""{"input": [2], "layers": [{"type": "linear", "out": 1}]}""");
        var model = spec.Build();
        var optimizer = new AdamW(model.Parameters(), options);
        string path = PathOf("o.safetensors");
        Checkpoint.Save(path, spec, model, optimizer);
        var state = Checkpoint.Load(path).OptimizerState;
        Assert.Equal(options, Assert.Single(state.Groups));
        Assert.Empty(state.Parameters);
        using var document = JsonDocument.Parse(SafeTensors.Load(path).Metadata[Checkpoint.OptimizerKey]);
        Assert.Equal(0.1 / 3, document.RootElement.GetProperty("groups")[0].GetProperty("lr").GetDouble());
    }
}
