using System.Text.Json.Nodes;
using Neurite.Playground;

namespace Neurite.Tests.Playground;

public class CustomDataTests
{
    private static readonly PlaygroundConfig Binary = new();
    private static readonly PlaygroundConfig ThreeClasses = new() { Problem = "multiclass", Dataset = "custom", Classes = 3 };

    private static readonly Comparer<DataPoint> Sorter = Comparer<DataPoint>.Create((a, b) => (a.X1, a.X2, a.Label).CompareTo((b.X1, b.X2, b.Label)));

    private static string Refused(Action action) => Assert.Throws<PlaygroundValidationException>(action).Message;

    [Fact]
    public void PointsFromThePageAreChecked()
    {
        var points = CustomData.FromJson(JsonNode.Parse("[[1, 2, 1], [-3.5, 0, -1]]"), Binary);
        Assert.Equal([new DataPoint(1, 2, 1), new DataPoint(-3.5f, 0, -1)], points);
        Assert.Equal("point 2: the label must be 1 or -1 for classification; got 0",
            Refused(() => CustomData.FromJson(JsonNode.Parse("[[1, 2, 1], [0, 0, 0]]"), Binary)));
        Assert.Equal("point 1: x1 and x2 must be from -6 to 6; got 7, 0",
            Refused(() => CustomData.FromJson(JsonNode.Parse("[[7, 0, 1]]"), Binary)));
        Assert.Equal("points: point 1 must be [x1, x2, label] with numbers; got [1,\"a\",1]",
            Refused(() => CustomData.FromJson(JsonNode.Parse("[[1, \"a\", 1]]"), Binary)));
        Assert.Equal("points: must be a list of [x1, x2, label]", Refused(() => CustomData.FromJson(JsonNode.Parse("{}"), Binary)));
        var many = new JsonArray(Enumerable.Range(0, CustomData.MaxPoints + 1).Select(_ => (JsonNode?)new JsonArray(0, 0, 1)).ToArray());
        Assert.Equal("points: at most 2000; got more", Refused(() => CustomData.FromJson(many, Binary)));
    }

    [Fact]
    public void CsvWithAHeaderAndOneBadLine()
    {
        var points = CustomData.FromCsv("x1,x2,class\n0.5,1,2\n-1;-1;0\n\n3\t3\t1\n", ThreeClasses);
        Assert.Equal([new DataPoint(0.5f, 1, 2), new DataPoint(-1, -1, 0), new DataPoint(3, 3, 1)], points);
        Assert.Equal("CSV line 3: the label must be a class from 0 to 2 for multiclass; got 3",
            Refused(() => CustomData.FromCsv("x1,x2,label\n1,1,0\n1,1,3", ThreeClasses)));
        Assert.Equal("CSV line 2: expected x1,x2,label as three numbers; got '1,1'",
            Refused(() => CustomData.FromCsv("1,1,0\n1,1", ThreeClasses)));
        Assert.Equal("CSV line 1: the label must be a number from -1 to 1 for regression; got 5",
            Refused(() => CustomData.FromCsv("0,0,5", new PlaygroundConfig { Problem = "regression", Dataset = "custom" })));
    }

    [Fact]
    public void ACustomDataSetIsSplitAndTrained()
    {
        var points = CustomData.FromCsv(string.Join("\n", Enumerable.Range(0, 40).Select(i => $"{(i % 2 == 0 ? -3 : 3)},{(i % 7) - 3},{(i % 2 == 0 ? -1 : 1)}")), Binary);
        var config = Binary with { Dataset = "custom", TrainRatio = 50 };
        var (train, test) = PlaygroundRun.MakeData(config, points);
        Assert.Equal(20, train.Length);
        Assert.Equal(points.Order(Sorter).ToArray(), train.Concat(test).Order(Sorter).ToArray());
        var trainer = new PlaygroundRun(config with { LearningRate = 0.1 }, train, test, 1);
        for (int i = 0; i < 30; i++)
        {
            trainer.RunEpoch();
        }
        Assert.Equal(1.0, trainer.Evaluate(test: true).Accuracy);
        var empty = PlaygroundRun.MakeData(config, []);
        var untrained = new PlaygroundRun(config, empty.Train, empty.Test, 1);
        untrained.RunEpoch(); // no points yet: nothing to learn, nothing breaks
        Assert.Equal(1, untrained.Epoch);
        Assert.Equal((0.0, (double?)null), untrained.Evaluate(test: true));
        Assert.Equal([[0, 0], [0, 0]], untrained.ConfusionMatrix()!);
    }
}
