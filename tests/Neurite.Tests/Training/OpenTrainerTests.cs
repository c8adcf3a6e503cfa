using Neurite.Autograd;
using Neurite.Data;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Tests.Training;

/// <summary>The Trainer with a model built in C#, a custom loss, per-batch hooks and metrics, saved and resumed.</summary>
public class OpenTrainerTests
{
    /// <summary>A model written in code, not from a spec: two branches of the input, summed, with dropout.</summary>
    private sealed class TwoBranch : Module
    {
        private readonly Linear _wide, _narrow, _head;
        private readonly Dropout _dropout;

        public TwoBranch(ulong seed)
        {
            var rng = new Generator(seed);
            _wide = RegisterModule("wide", new Linear(1, 16, rng: rng));
            _narrow = RegisterModule("narrow", new Linear(1, 16, rng: rng));
            _dropout = RegisterModule("dropout", new Dropout(0.2f, new Generator(seed + 1)));
            _head = RegisterModule("head", new Linear(16, 1, rng: rng));
        }

        public override Tensor Forward(Tensor x) =>
            _head.Call(_dropout.Call(Ops.Add(Ops.Tanh(_wide.Call(x)), Ops.Relu(_narrow.Call(x)))));
    }

    /// <summary>A loss no spec names: mean squared error plus a tenth of the mean absolute error.</summary>
    private static Tensor MseAndMae(Tensor prediction, Tensor target)
    {
        var difference = prediction - target;
        return Ops.Mean(difference * difference) + Ops.Mean(Ops.Abs(difference)) * 0.1f;
    }

    /// <summary>Mean absolute error over the batches.</summary>
    private sealed class MeanAbsoluteError : IMetric
    {
        private double _sum;
        private long _count;

        public string Name => "mae";

        public double Value => _count == 0 ? 0 : _sum / _count;

        public void Reset() => (_sum, _count) = (0, 0);

        public void Update(Tensor outputs, Tensor targets)
        {
            for (int i = 0; i < outputs.Count; i++)
            {
                _sum += Math.Abs(outputs.Data[i] - targets.Data[i]);
            }
            _count += outputs.Count;
        }
    }

    /// <summary>Records the gradient norm after backward, and checks the hooks' order against the weights.</summary>
    private sealed class GradientWatch : ITrainingCallback
    {
        private float[]? _weightsAtBackward;

        public List<double> Norms { get; } = [];

        public int StepsSeen { get; private set; }

        public void OnAfterBackward(Trainer trainer, BatchStep step)
        {
            var parameters = trainer.Model.Parameters().ToList();
            Assert.All(parameters, p => Assert.NotNull(p.Grad));
            Norms.Add(Math.Sqrt(parameters.Sum(p => p.Grad!.ToArray().Sum(g => (double)g * g))));
            _weightsAtBackward = parameters[0].ToArray();
        }

        public void OnBatchEnd(Trainer trainer, BatchStep step)
        {
            // The step ran between the two hooks: the weights seen after backward have moved since.
            Assert.NotEqual(_weightsAtBackward, trainer.Model.Parameters().First().ToArray());
            StepsSeen++;
        }
    }

    private static Trainer NewTrainer(Module model, GradientWatch watch) =>
        new(model, MseAndMae, new Adam(model.Parameters(), new AdamOptions(0.01)))
        {
            Seed = 77,
            Callbacks = [watch],
            Metrics = [new MeanAbsoluteError()],
        };

    [Fact]
    public void A_model_built_in_code_trains_with_a_custom_loss_and_hooks_then_saves_and_resumes_bit_identically()
    {
        var train = Synthetic.Sin(200, 0.05f, new Generator(1));
        var held = Synthetic.Sin(100, 0.05f, new Generator(2));
        var loader = new DataLoader(train, 16, shuffle: true, seed: 3);
        string directory = Directory.CreateTempSubdirectory("neurite-open-trainer").FullName;
        try
        {
            // Six epochs without a break.
            var whole = new TwoBranch(seed: 5);
            var wholeWatch = new GradientWatch();
            var uninterrupted = NewTrainer(whole, wholeWatch);
            var fit = uninterrupted.Fit(loader, held, 6);
            Assert.Equal(6 * loader.BatchCount, wholeWatch.StepsSeen);
            Assert.Equal(6 * loader.BatchCount, wholeWatch.Norms.Count);
            Assert.All(wholeWatch.Norms, norm => Assert.True(norm > 0 && double.IsFinite(norm)));
            Assert.True(fit.History[^1].TrainLoss < fit.History[0].TrainLoss * 0.7, $"loss {fit.History[0].TrainLoss} -> {fit.History[^1].TrainLoss}");
            Assert.True(fit.History[^1].Metrics!["val_mae"] < fit.History[0].Metrics!["val_mae"]);
            Assert.Equal(uninterrupted.Evaluate(held).Metrics!["mae"], fit.History[^1].Metrics!["val_mae"], 12);

            // Three epochs, a checkpoint (no spec: the model is code), then a fresh process's worth of objects resumes.
            var first = new TwoBranch(seed: 5);
            var firstTrainer = NewTrainer(first, new GradientWatch());
            firstTrainer.Fit(loader, held, 3);
            string checkpointPath = Path.Combine(directory, "run.ckpt.safetensors");
            Checkpoint.Save(checkpointPath, firstTrainer);

            var second = new TwoBranch(seed: 999); // other initial weights: they must come from the file
            var secondTrainer = NewTrainer(second, new GradientWatch());
            var checkpoint = Checkpoint.Load(checkpointPath);
            Assert.Null(checkpoint.Spec);
            checkpoint.Restore(secondTrainer);
            Assert.Equal(3, secondTrainer.EpochsDone);
            var resumed = secondTrainer.Fit(loader, held, 6);

            // Bit-identical: the same weights, the same losses epoch by epoch (dropout masks included).
            foreach (var (name, tensor) in whole.StateDict())
            {
                Assert.Equal(tensor.ToArray(), second.StateDict()[name].ToArray());
            }
            Assert.Equal(fit.History.Select(r => r.TrainLoss), resumed.History.Select(r => r.TrainLoss));
            Assert.Equal(fit.History.Select(r => r.Metrics!["val_mae"]), resumed.History.Select(r => r.Metrics!["val_mae"]));

            // The weights alone, as a plain safetensors file with the module's names.
            string weightsPath = Path.Combine(directory, "weights.safetensors");
            ModelFile.SaveWeights(weightsPath, whole);
            var reloaded = new TwoBranch(seed: 31);
            ModelFile.LoadWeights(weightsPath, reloaded);
            var x = Tensor.Uniform([5, 1], -1, 1, new Generator(4));
            whole.Eval();
            reloaded.Eval();
            Assert.Equal(whole.Call(x).ToArray(), reloaded.Call(x).ToArray());
            Assert.Equal(["head.bias", "head.weight", "narrow.bias", "narrow.weight", "wide.bias", "wide.weight"],
                SafeTensors.Load(weightsPath).Tensors.Keys.Order());
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Evaluation_and_prediction_need_no_optimizer_and_fitting_without_one_is_refused()
    {
        var data = Synthetic.Sin(64, 0f, new Generator(1));
        var model = new TwoBranch(seed: 2);
        var evaluator = new Trainer(model, MseAndMae) { Metrics = [new MeanAbsoluteError()] };
        var evaluation = evaluator.Evaluate(data);
        Assert.Null(evaluator.Optimizer);
        Assert.Null(evaluation.Classification);
        Assert.Null(evaluation.Regression);
        // The loss of the whole set in one batch, computed by hand from the predictions.
        var predictions = evaluator.Predict(data.Features);
        double expected;
        using (Graph.NoGrad())
        {
            expected = MseAndMae(predictions, data.Targets).Item();
        }
        Assert.Equal(expected, evaluation.Loss, 5);
        Assert.True(evaluation.Metrics!["mae"] > 0);
        var e = Assert.Throws<InvalidOperationException>(() => evaluator.Fit(new DataLoader(data, 8), null, 1));
        Assert.Equal("Fit: this trainer has no optimizer; give one to the constructor to train.", e.Message);
    }

    [Fact]
    public void The_trainer_reseeds_the_models_generators_each_epoch_and_leaves_no_global_state()
    {
        var dropoutRng = new Generator(123);
        var model = new Sequential(new Linear(2, 4, rng: new Generator(1)), new Dropout(0.5f, dropoutRng), new Linear(4, 1, rng: new Generator(2)));
        Assert.Equal([dropoutRng], model.Generators());
        var seen = new List<ulong>();
        var trainer = new Trainer(model, (y, t) => Losses.Mse(y, t), new SGD(model.Parameters(), new SGDOptions(0.01)))
        {
            Seed = 9,
            Callbacks = [new SeedWatch(dropoutRng, seen)],
        };
        trainer.Fit(new DataLoader(Synthetic.Plane(32, 0f, new Generator(3)), 32), null, 2);
        // Epoch e's seed is seed ⊕ (0x9E3779B97F4A7C15·e) for the model's first generator.
        Assert.Equal([9UL ^ 0x9E3779B97F4A7C15UL, 9UL ^ unchecked(0x9E3779B97F4A7C15UL * 2)], seen);
    }

    private sealed class SeedWatch(Generator generator, List<ulong> seen) : ITrainingCallback
    {
        public void OnAfterBackward(Trainer trainer, BatchStep step) => seen.Add(generator.Seed);
    }
}
