using Neurite.Data;
using Neurite.NN;
using Neurite.Optim;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Tests.Training;

public class TrainerTests
{
    private static Sequential Mlp(int inputs, int hidden, int outputs, ulong seed, float dropout = 0) =>
        dropout > 0
            ? new Sequential(new Linear(inputs, hidden, rng: new Generator(seed)), new ReLU(), new Dropout(dropout, new Generator(seed + 2)), new Linear(hidden, outputs, rng: new Generator(seed + 1)))
            : new Sequential(new Linear(inputs, hidden, rng: new Generator(seed)), new ReLU(), new Linear(hidden, outputs, rng: new Generator(seed + 1)));

    [Fact]
    public void Training_on_moons_lowers_the_loss_and_classifies_held_out_points()
    {
        var train = Synthetic.Moons(400, 0.1f, new Generator(1));
        var test = Synthetic.Moons(200, 0.1f, new Generator(2));
        var model = Mlp(2, 16, 2, 3);
        var events = new List<TrainingEvent>();
        var trainer = new Trainer(model, Objective.FromName("cross_entropy"), new Adam(model.Parameters(), new AdamOptions(0.02)))
        {
            Progress = new SynchronousProgress(events.Add),
        };
        var fit = trainer.Fit(new DataLoader(train, 32, shuffle: true, seed: 4), test, 30);

        Assert.Equal(StopReason.Completed, fit.Reason);
        Assert.Equal(30, fit.History.Count);
        Assert.True(fit.History[^1].TrainLoss < fit.History[0].TrainLoss / 3, $"loss {fit.History[0].TrainLoss} → {fit.History[^1].TrainLoss}");
        var evaluation = trainer.Evaluate(test);
        Assert.True(evaluation.Classification!.Accuracy > 0.95, $"test accuracy {evaluation.Classification.Accuracy}");
        Assert.Equal(fit.History[^1].ValidationLoss!.Value, evaluation.Loss, 9);
        Assert.True(fit.SamplesPerSecond > 0);
        // One EpochStarted, 13 BatchEnded (400 / 32 rounded up) and one EpochEnded per epoch, in order.
        Assert.Equal(30 * 15, events.Count);
        Assert.IsType<EpochStarted>(events[0]);
        var lastBatch = Assert.IsType<BatchEnded>(events[13]);
        Assert.Equal((1, 13, 13), (lastBatch.Epoch, lastBatch.Batch, lastBatch.Batches));
        Assert.Equal(fit.History[0], Assert.IsType<EpochEnded>(events[14]).Result);
    }

    [Fact]
    public void Regression_reports_mse_mae_and_r2()
    {
        var data = Synthetic.Sin(256, 0f, new Generator(5));
        var model = Mlp(1, 32, 1, 6);
        var trainer = new Trainer(model, Objective.FromName("mse"), new Adam(model.Parameters(), new AdamOptions(0.01)));
        trainer.Fit(new DataLoader(data, 32, shuffle: true, seed: 7), null, 100);
        var evaluation = trainer.Evaluate(data);
        Assert.Null(evaluation.Classification);
        Assert.Equal(evaluation.Loss, evaluation.Regression!.Mse, 5);
        Assert.True(evaluation.Regression.R2 > 0.95, $"R² {evaluation.Regression.R2}");
    }

    [Fact]
    public void A_loss_for_the_wrong_task_is_refused()
    {
        var data = Synthetic.Sin(16, 0f, new Generator(5));
        var model = Mlp(1, 4, 2, 6);
        var trainer = new Trainer(model, Objective.FromName("cross_entropy"), new SGD(model.Parameters(), new SGDOptions(0.1)));
        var e = Assert.Throws<ArgumentException>(() => trainer.Fit(new DataLoader(data, 4), null, 1));
        Assert.Equal("the loss cross_entropy is for classification, but the data is a regression set", e.Message);
    }

    [Fact]
    public void A_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint()
    {
        var data = Synthetic.Sin(64, 0f, new Generator(5));
        var model = Mlp(1, 8, 1, 6);
        var saved = new List<int>();
        var trainer = new Trainer(model, Objective.FromName("mse"), new SGD(model.Parameters(), new SGDOptions(1e4)))
        {
            Callbacks = [new ModelCheckpoint((t, path) => saved.Add(t.EpochsDone), "last")],
        };
        var fit = trainer.Fit(new DataLoader(data, 8), null, 50);
        Assert.Equal(StopReason.NonFiniteLoss, fit.Reason);
        Assert.Matches(@"^the loss became (NaN|∞|-∞|Infinity|-Infinity) at epoch \d+, batch \d+; training stopped", fit.Message);
        Assert.True(fit.History.Count < 50);
        Assert.All(fit.History, r => Assert.True(double.IsFinite(r.TrainLoss)));
        // A checkpoint was written for each completed epoch and none for the broken one.
        Assert.Equal(Enumerable.Range(1, fit.History.Count), saved);
    }

    [Fact]
    public void Without_stop_on_non_finite_loss_a_diverged_run_trains_every_epoch()
    {
        var data = Synthetic.Sin(64, 0f, new Generator(5));
        var model = Mlp(1, 8, 1, 6);
        var trainer = new Trainer(model, Objective.FromName("mse"), new SGD(model.Parameters(), new SGDOptions(1e4)))
        {
            StopOnNonFiniteLoss = false,
        };
        var fit = trainer.Fit(new DataLoader(data, 8), null, 50);
        Assert.Equal(StopReason.Completed, fit.Reason);
        Assert.Equal(50, fit.History.Count);
        Assert.Equal(50 * 8, trainer.Steps);
        Assert.False(double.IsFinite(fit.History[^1].TrainLoss));
        Assert.Contains(((Linear)model[0]).Weight.ToArray(), w => !float.IsFinite(w)); // the steps went on with the non-finite gradients
    }

    [Fact]
    public void Early_stopping_stops_after_patience_epochs_without_improvement_and_restores_the_best_weights()
    {
        var model = Mlp(1, 2, 1, 1);
        var trainer = new Trainer(model, Objective.FromName("mse"), new SGD(model.Parameters(), new SGDOptions(0.1)));
        var stopping = new EarlyStopping(patience: 2, minDelta: 0.01);
        stopping.OnTrainBegin(trainer);
        var weightsAtBest = ((Linear)model[0]).Weight.ToArray();
        stopping.OnEpochEnd(trainer, Result(1, 1.0));
        ((Linear)model[0]).Weight.Data.Fill(7f);
        stopping.OnEpochEnd(trainer, Result(2, 0.995)); // better, but by less than min_delta
        Assert.Equal((1.0, 1), stopping.Best);
        stopping.OnEpochEnd(trainer, Result(3, 1.2));
        Assert.Null(stopping.RestoredEpoch);
        stopping.OnTrainEnd(trainer);
        Assert.Equal(weightsAtBest, ((Linear)model[0]).Weight.ToArray());
        Assert.Equal(1, stopping.RestoredEpoch);
        var e = Assert.Throws<ArgumentException>(() => new EarlyStopping(0));
        Assert.Equal("patience", e.ParamName);
    }

    [Fact]
    public void The_monitored_loss_is_the_validation_loss_when_there_is_one()
    {
        // Monitor here is System.Threading's (an implicit using), beside Neurite.Training.
        var gate = new object();
        Monitor.Enter(gate);
        Assert.True(Monitor.IsEntered(gate));
        Monitor.Exit(gate);
        Assert.Equal(0.5, MonitoredLoss.Of(new EpochResult(1, 0.9, null, 0.5, null, 0.1, 1, 1)));
        Assert.Equal(0.9, MonitoredLoss.Of(new EpochResult(1, 0.9, null, null, null, 0.1, 1, 1)));
    }

    [Fact]
    public void Early_stopping_in_the_loop_ends_the_run_with_its_reason()
    {
        var data = Synthetic.Sin(32, 0f, new Generator(5));
        var model = Mlp(1, 4, 1, 6);
        // A zero learning rate: the loss never improves after the first epoch.
        var trainer = new Trainer(model, Objective.FromName("mse"), new SGD(model.Parameters(), new SGDOptions(0)))
        {
            Callbacks = [new EarlyStopping(patience: 3)],
        };
        var fit = trainer.Fit(new DataLoader(data, 8), null, 100);
        Assert.Equal(StopReason.EarlyStopping, fit.Reason);
        Assert.Equal(4, fit.History.Count);
        Assert.StartsWith("early stopping: no improvement of the loss for 3 epochs; best", fit.Message);
    }

    [Fact]
    public void A_resumed_run_repeats_the_uninterrupted_one_exactly()
    {
        // Dropout, shuffling, momentum and a per-step schedule: everything that carries state.
        var data = Synthetic.Spirals(120, 0.1f, new Generator(8));
        (Trainer Trainer, Sequential Model, SGD Sgd, LRScheduler Scheduler) Build()
        {
            var model = Mlp(2, 16, 2, 9, dropout: 0.3f);
            var sgd = new SGD(model.Parameters(), new SGDOptions(0.1, Momentum: 0.9));
            var scheduler = new LRScheduler(sgd, new CosineAnnealingLR(40));
            var trainer = new Trainer(model, Objective.FromName("cross_entropy"), sgd)
            {
                Scheduler = scheduler,
                Interval = ScheduleInterval.Step,
                Seed = 11,
            };
            return (trainer, model, sgd, scheduler);
        }
        var loader = new DataLoader(data, 16, shuffle: true, seed: 10);
        var straight = Build();
        straight.Trainer.Fit(loader, null, 4);

        var first = Build();
        first.Trainer.Fit(loader, null, 2);
        var weights = first.Model.StateDict().ToDictionary(e => e.Key, e => e.Value.Clone());
        var optimizerState = first.Sgd.StateDict();
        var resumed = Build();
        resumed.Model.LoadStateDict(weights);
        resumed.Sgd.LoadStateDict(optimizerState);
        resumed.Scheduler.Resume(first.Scheduler.StepCount);
        resumed.Trainer.Resume(first.Trainer.History, first.Trainer.Steps);
        var fit = resumed.Trainer.Fit(loader, null, 4);

        Assert.Equal(4, fit.History.Count);
        Assert.Equal(straight.Trainer.Steps, resumed.Trainer.Steps);
        foreach (var (name, tensor) in straight.Model.StateDict())
        {
            Assert.Equal(tensor.ToArray(), resumed.Model.StateDict()[name].ToArray());
        }
        Assert.Equal(straight.Trainer.History.Select(r => r.TrainLoss), fit.History.Select(r => r.TrainLoss));
    }

    [Fact]
    public void The_history_log_writes_csv_or_json_lines()
    {
        string directory = Directory.CreateTempSubdirectory().FullName;
        try
        {
            var data = Synthetic.Xor(40, 0.1f, new Generator(1));
            var model = Mlp(2, 4, 2, 2);
            string csv = Path.Combine(directory, "history.csv"), jsonl = Path.Combine(directory, "history.jsonl");
            var trainer = new Trainer(model, Objective.FromName("cross_entropy"), new SGD(model.Parameters(), new SGDOptions(0.1)))
            {
                Callbacks = [new HistoryLog(csv), new HistoryLog(jsonl)],
            };
            var fit = trainer.Fit(new DataLoader(data, 10), data, 3);
            var lines = File.ReadAllLines(csv);
            Assert.Equal("epoch,train_loss,train_accuracy,val_loss,val_accuracy,lr,seconds,samples_per_second", lines[0]);
            Assert.Equal(4, lines.Length);
            Assert.StartsWith("3,", lines[3]);
            var read = File.ReadAllLines(jsonl).Select(l => HistoryLog.FromJson(System.Text.Json.Nodes.JsonNode.Parse(l)!)).ToList();
            Assert.Equal(fit.History, read);
            Assert.Empty(Directory.GetFiles(directory, "*.tmp"));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Predict_returns_raw_outputs_in_eval_mode_and_restores_the_mode()
    {
        var model = Mlp(2, 8, 3, 1, dropout: 0.5f);
        var trainer = new Trainer(model, Objective.FromName("cross_entropy"), new SGD(model.Parameters(), new SGDOptions(0.1)));
        var x = Tensor.Uniform([1000, 2], -1, 1, new Generator(3));
        var outputs = trainer.Predict(x, batchSize: 300);
        Assert.Equal([1000, 3], outputs.Shape.ToArray());
        // In one batch or in slices of 300, the same outputs (to rounding: GEMM may block differently).
        var whole = trainer.Predict(x).ToArray();
        Assert.All(Enumerable.Range(0, whole.Length), i => Assert.Equal(whole[i], outputs.Data[i], 5));
        Assert.True(model.IsTraining);
        var probabilities = trainer.Objective!.Probabilities(outputs);
        Assert.All(Enumerable.Range(0, 1000), i => Assert.Equal(1f, probabilities.Data.Slice(3 * i, 3).ToArray().Sum(), 5));
    }

    private static EpochResult Result(int epoch, double loss) => new(epoch, loss, null, null, null, 0.1, 1, 1);

    /// <summary>Reports on the calling thread, unlike Progress&lt;T&gt;, which posts to the thread pool.</summary>
    private sealed class SynchronousProgress(Action<TrainingEvent> report) : IProgress<TrainingEvent>
    {
        public void Report(TrainingEvent value) => report(value);
    }
}
