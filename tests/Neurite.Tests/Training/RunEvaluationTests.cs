using Neurite.Serialization;
using Neurite.Training;

namespace Neurite.Tests.Training;

/// <summary>
/// A run's final evaluation of its test data: the last epoch's evaluation of the same data is taken over when the
/// weights have not changed since, and the data is evaluated afresh when early stopping put back earlier weights.
/// </summary>
public sealed class RunEvaluationTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-run-evaluation-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private TrainingRun Run(string name, string stopping) => TrainingRun.Create(ModelSpec.Parse($$"""
        {"input": [2], "layers": [{"type": "linear", "out": 16}, {"type": "relu"}, {"type": "linear", "out": 2}],
         "loss": "cross_entropy", "optimizer": {"type": "adam", "lr": 0.3}, "batch_size": 16, "epochs": {{(stopping.Length == 0 ? 3 : 60)}}, "seed": 1,
         "data": {"source": "moons:n=200,noise=0.3", "test_split": 0.3}{{stopping}}}
        """), new RunOptions(ModelPath: Path.Combine(_directory, name + ".safetensors")));

    private static void AssertSameFigures(Evaluation expected, Evaluation actual)
    {
        Assert.Equal(expected.Loss, actual.Loss);
        Assert.Equal(expected.Samples, actual.Samples);
        Assert.Equal(expected.Classification!.Confusion, actual.Classification!.Confusion);
    }

    [Fact]
    public void The_last_epochs_evaluation_of_the_test_data_is_the_final_one_when_nothing_changed_since()
    {
        var run = Run("plain", "");
        var result = run.Execute();
        Assert.Equal(3, result.Fit.History.Count);
        Assert.Same(run.Trainer.LastHeldOut!.Value.Result, result.Test);
        AssertSameFigures(run.Trainer.Evaluate(run.Data.Test!), result.Test!);
        Assert.Equal(result.Fit.History[^1].ValidationLoss, result.Test!.Loss);
    }

    [Fact]
    public void Restored_weights_are_evaluated_afresh()
    {
        var run = Run("restored", """, "early_stopping": {"patience": 3, "restore_best": true}""");
        var result = run.Execute();
        var restored = Assert.IsType<EpochResult>(result.Restored);
        Assert.True(restored.Epoch < result.Fit.History.Count);
        Assert.NotSame(run.Trainer.LastHeldOut!.Value.Result, result.Test);
        AssertSameFigures(run.Trainer.Evaluate(run.Data.Test!), result.Test!);
        Assert.Equal(restored.ValidationLoss, result.Test!.Loss);
        Assert.NotEqual(result.Fit.History[^1].ValidationLoss, result.Test.Loss);
    }
}
