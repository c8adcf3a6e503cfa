using Neurite.Playground;
using Neurite.Tensors;

namespace Neurite.Tests.Playground;

public class PlaygroundRunTests
{
    private static PlaygroundRun Trainer(PlaygroundConfig config)
    {
        var (train, test) = PlaygroundRun.MakeData(config);
        return new PlaygroundRun(config, train, test, 3);
    }

    [Theory]
    [InlineData("classification", "circles", 1)]
    [InlineData("classification", "xor", 1)]
    [InlineData("classification", "gaussians", 1)]
    [InlineData("classification", "spirals", 1)]
    [InlineData("regression", "plane", 0)]
    [InlineData("regression", "multi-gaussian", 0)]
    [InlineData("multiclass", "blobs", 4)]
    [InlineData("multiclass", "spirals", 5)] // the same name as the two-arm set: the problem decides
    public void DataSetsAreSeededSplitAndLabelled(string problem, string dataset, int labels)
    {
        var config = new PlaygroundConfig { Problem = problem, Dataset = dataset, Classes = labels > 1 ? labels : 3, TrainRatio = 70 };
        var (train, test) = PlaygroundRun.MakeData(config);
        var (again, _) = PlaygroundRun.MakeData(config);
        Assert.Equal(train, again);
        Assert.Equal((train.Length + test.Length) * 70 / 100, train.Length);
        var all = train.Concat(test).ToArray();
        Assert.All(all, p => Assert.InRange(MathF.Abs(p.X1) + MathF.Abs(p.X2), 0, 24));
        if (problem == "classification")
        {
            Assert.Equal([-1f, 1f], all.Select(p => p.Label).Distinct().Order());
        }
        else if (problem == "multiclass")
        {
            Assert.Equal(Enumerable.Range(0, labels).Select(c => (float)c), all.Select(p => p.Label).Distinct().Order());
        }
        else
        {
            Assert.All(all, p => Assert.InRange(p.Label, -1f, 1f));
            Assert.True(all.Select(p => p.Label).Distinct().Count() > 100);
        }
        Assert.NotEqual(train, PlaygroundRun.MakeData(config with { Seed = 2 }).Train);
    }

    [Fact]
    public void TrainingOnTheCircleDrivesTheTestLossDown()
    {
        var trainer = Trainer(new PlaygroundConfig { Dataset = "circles", LearningRate = 0.1 });
        double before = trainer.Evaluate(test: true).Loss;
        for (int i = 0; i < 60; i++)
        {
            trainer.RunEpoch();
        }
        var (after, accuracy) = trainer.Evaluate(test: true);
        Assert.Equal(60, trainer.Epoch);
        Assert.True(after < before / 4 && after < 0.15, $"test loss {before} -> {after}");
        Assert.True(accuracy > 0.95, $"accuracy {accuracy}");
        Assert.All(trainer.GradientNorms, g => Assert.True(g > 0));
    }

    [Fact]
    public void MultiClassBlobsTrainWithSoftmaxAndAConfusionMatrix()
    {
        var trainer = Trainer(new PlaygroundConfig { Problem = "multiclass", Dataset = "blobs", Classes = 4, Optimizer = "adam", Hidden = [8] });
        for (int i = 0; i < 30; i++)
        {
            trainer.RunEpoch();
        }
        var confusion = trainer.ConfusionMatrix()!;
        Assert.Equal(4, confusion.Length);
        Assert.Equal(trainer.Test.Length, confusion.Sum(r => r.Sum()));
        int diagonal = Enumerable.Range(0, 4).Sum(c => confusion[c][c]);
        Assert.True(diagonal > 0.9 * trainer.Test.Length, $"{diagonal} of {trainer.Test.Length} on the diagonal");
        var grids = trainer.NeuronGrids();
        // Softmax output: the class probabilities at each grid point sum to 1.
        Assert.Equal(1f, grids[^1].Sum(c => c[17]), 4);
    }

    [Fact]
    public void NeuronGridsHoldEveryNeuronOverTheGrid()
    {
        var trainer = Trainer(new PlaygroundConfig { Features = ["x1", "x2", "x1x2"], Hidden = [3, 2] });
        var grids = trainer.NeuronGrids();
        Assert.Equal([3, 3, 2, 1], grids.Select(l => l.Length));
        Assert.All(grids.SelectMany(l => l), n => Assert.Equal(PlaygroundRun.GridSize * PlaygroundRun.GridSize, n.Length));
        // First grid point is the top-left cell centre: x1 = -6 + 6/32·… , x2 = +6 − ….
        var (x1, x2) = PlaygroundRun.GridPoints().First();
        Assert.Equal(x1, grids[0][0][0]);
        Assert.Equal(x2, grids[0][1][0]);
        Assert.Equal(x1 * x2, grids[0][2][0], 5);
        Assert.True(x1 < 0 && x2 > 0);
    }

    [Theory]
    [InlineData("classification", "circles", 1)]
    [InlineData("multiclass", "blobs", 3)]
    public void TheOutputHeatMapIsTheNetworkOnAFinerGrid(string problem, string dataset, int outputs)
    {
        var trainer = Trainer(new PlaygroundConfig { Problem = problem, Dataset = dataset, Hidden = [3] });
        var grids = trainer.OutputGrids();
        int size = PlaygroundRun.OutputGridSize;
        Assert.Equal(outputs, grids.Length);
        Assert.All(grids, g => Assert.Equal(size * size, g.Length));
        // Sampled points: the same as a trace of that point (the output layer's a).
        var points = PlaygroundRun.GridPoints(size).ToArray();
        for (int i = 0; i < points.Length; i += 997)
        {
            var a = trainer.TracePoint(points[i].X1, points[i].X2, problem == "multiclass" ? 0 : 1).A[^1];
            for (int k = 0; k < outputs; k++)
            {
                Assert.Equal(a[k], grids[k][i], 5);
            }
        }
        Assert.Equal(-6 + (6.0 / size), points[0].X1, 5);
        Assert.Equal(6 - (6.0 / size), points[^1].X1, 5);
    }

    [Fact]
    public void TheTraceOfAPointIsTheForwardAndBackwardPassByHand()
    {
        var trainer = Trainer(new PlaygroundConfig { Features = ["x1", "x2", "sinx1"], Hidden = [3], Activation = "tanh", Loss = "mse" });
        float x1 = 1.5f, x2 = -2f, target = 1f;
        var trace = trainer.TracePoint(x1, x2, target);
        float[] input = [x1, x2, MathF.Sin(x1)];
        var w0 = trainer.Linears[0].Weight.ToArray();
        var b0 = trainer.Linears[0].Bias!.ToArray();
        var w1 = trainer.Linears[1].Weight.ToArray();
        float b1 = trainer.Linears[1].Bias!.ToArray()[0];
        var a = new float[3];
        for (int j = 0; j < 3; j++)
        {
            float z = b0[j] + (w0[3 * j] * input[0]) + (w0[(3 * j) + 1] * input[1]) + (w0[(3 * j) + 2] * input[2]);
            Assert.Equal(z, trace.Z[0][j], 1e-5f);
            a[j] = MathF.Tanh(z);
            Assert.Equal(a[j], trace.A[0][j], 1e-5f);
        }
        float zOut = b1 + (w1[0] * a[0]) + (w1[1] * a[1]) + (w1[2] * a[2]);
        float y = MathF.Tanh(zOut);
        Assert.Equal(y, trace.A[1][0], 1e-5f);
        Assert.Equal((y - target) * (y - target), trace.Loss, 1e-5f);
        // δ_out = ∂L/∂z = 2(y − t)·(1 − y²); δ_j = δ_out·w1_j·(1 − a_j²); ∂L/∂W0[j,i] = δ_j·x_i.
        float deltaOut = 2 * (y - target) * (1 - (y * y));
        Assert.Equal(deltaOut, trace.Delta[1][0], 1e-5f);
        for (int j = 0; j < 3; j++)
        {
            float delta = deltaOut * w1[j] * (1 - (a[j] * a[j]));
            Assert.Equal(delta, trace.Delta[0][j], 1e-5f);
            Assert.Equal(delta * input[2], trace.WeightGrad[0][j][2], 1e-5f);
            Assert.Equal(deltaOut * a[j], trace.WeightGrad[1][0][j], 1e-5f);
        }
        Assert.Equal(w0, trainer.Linears[0].Weight.ToArray()); // tracing changes no weight
        Assert.Null(trace.Normalized);
    }

    [Theory]
    [InlineData(1f)]
    [InlineData(-1f)]
    public void WithCrossEntropyTheOutputIsASigmoidAndItsDeltaIsPMinusTheClass(float label)
    {
        var trainer = Trainer(new PlaygroundConfig { Hidden = [2], Activation = "tanh" });
        Assert.Equal("cross_entropy", trainer.Config.Loss);
        Assert.Equal("Sigmoid", trainer.Model.Layers[^1].GetType().Name);
        var trace = trainer.TracePoint(0.5f, -1f, label);
        var w1 = trainer.Linears[1].Weight.ToArray();
        float b1 = trainer.Linears[1].Bias!.ToArray()[0];
        float zOut = b1 + (w1[0] * trace.A[0][0]) + (w1[1] * trace.A[0][1]);
        float p = 1 / (1 + MathF.Exp(-zOut)), t = label > 0 ? 1 : 0;
        Assert.Equal(p, trace.A[1][0], 1e-5f);
        // L = −[t log p + (1 − t) log(1 − p)], and through the sigmoid δ_out = ∂L/∂z = p − t.
        Assert.Equal(-((t * MathF.Log(p)) + ((1 - t) * MathF.Log(1 - p))), trace.Loss, 1e-5f);
        Assert.Equal(p - t, trace.Delta[1][0], 1e-5f);
        Assert.Equal((p - t) * trace.A[0][1], trace.WeightGrad[1][0][1], 1e-5f);
    }

    [Fact]
    public void BinaryCrossEntropyLearnsTheCirclesAndCountsAccuracyAtOneHalf()
    {
        var trainer = Trainer(new PlaygroundConfig { Hidden = [4, 2], LearningRate = 0.1 });
        for (int i = 0; i < 200; i++)
        {
            trainer.RunEpoch();
        }
        var (loss, accuracy) = trainer.Evaluate(test: true);
        Assert.True(accuracy > 0.9, $"accuracy {accuracy}, loss {loss}");
        var confusion = trainer.ConfusionMatrix()!;
        Assert.Equal(trainer.Test.Length, confusion.Sum(r => r.Sum()));
        Assert.Equal(accuracy!.Value, (confusion[0][0] + confusion[1][1]) / (double)trainer.Test.Length, 1e-9);
    }

    [Fact]
    public void WithBatchNormTheTraceShowsTheNormalizedValueTheActivationSees()
    {
        var trainer = Trainer(new PlaygroundConfig { Hidden = [3], Activation = "tanh", BatchNorm = true });
        trainer.RunEpoch();
        var trace = trainer.TracePoint(2, 1, -1);
        var bn = (Neurite.NN.BatchNorm1d)trainer.Model[1];
        for (int j = 0; j < 3; j++)
        {
            // Evaluation mode: ẑ = γ(z − running mean)/√(running var + ε) + β, and a = tanh(ẑ).
            float expected = (bn.Weight![j] * (trace.Z[0][j] - bn.RunningMean[j]) / MathF.Sqrt(bn.RunningVar[j] + bn.Eps)) + bn.Bias![j];
            Assert.Equal(expected, trace.Normalized![0][j], 4);
            Assert.Equal(MathF.Tanh(expected), trace.A[0][j], 4);
        }
    }

    [Fact]
    public void UnderBatchNormNoBatchOfOneIsTrained()
    {
        // Batch statistics need two samples (BatchNorm1d refuses one in training).
        var config = new PlaygroundConfig { Hidden = [3], BatchNorm = true };
        var one = Trainer(config with { BatchSize = 1 });
        var before = one.Linears[0].Weight.ToArray();
        one.RunEpoch();
        Assert.Equal(1, one.Epoch); // the epoch counts, with nothing to train
        Assert.Equal(before, one.Linears[0].Weight.ToArray());
        var three = Trainer(config with { BatchSize = 3 });
        Assert.Equal(1, three.Train.Length % 3); // so the last batch has one sample: it is dropped
        three.RunEpoch();
        Assert.Equal(1, three.Epoch);
        Assert.NotEqual(before, three.Linears[0].Weight.ToArray());
    }

    [Fact]
    public void AMultiClassTraceEndsInSoftmaxAndItsErrorSignal()
    {
        var trainer = Trainer(new PlaygroundConfig { Problem = "multiclass", Dataset = "blobs", Classes = 3, Hidden = [4] });
        var trace = trainer.TracePoint(1, -2, 2);
        var z = trace.Z[^1];
        var exp = z.Select(v => Math.Exp(v)).ToArray();
        var softmax = exp.Select(e => e / exp.Sum()).ToArray();
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(softmax[c], trace.A[^1][c], 5);
            // Cross-entropy with softmax: δ = p − onehot(target).
            Assert.Equal(softmax[c] - (c == 2 ? 1 : 0), trace.Delta[^1][c], 5);
        }
        Assert.Equal(-Math.Log(softmax[2]), trace.Loss, 4);
    }

    [Fact]
    public void ZeroInitializationKeepsEveryNeuronOfALayerTheSame()
    {
        var trainer = Trainer(new PlaygroundConfig { Init = "zeros", Hidden = [4], Dataset = "xor", LearningRate = 0.1 });
        for (int i = 0; i < 20; i++)
        {
            trainer.RunEpoch();
        }
        // Every hidden neuron starts equal and gets the same gradient, so all rows of W stay equal:
        // four neurons do the work of one.
        var w = trainer.Linears[0].Weight;
        for (int j = 1; j < 4; j++)
        {
            Assert.Equal(w[0, 0], w[j, 0]);
            Assert.Equal(w[0, 1], w[j, 1]);
        }
        var output = trainer.Linears[1].Weight.ToArray();
        Assert.All(output, v => Assert.Equal(output[0], v));
        // …whereas the default initialization gives different rows.
        var random = Trainer(new PlaygroundConfig { Hidden = [4], Dataset = "xor" }).Linears[0].Weight;
        Assert.NotEqual(random[0, 0], random[1, 0]);
    }

    [Fact]
    public void TheNetworkIsBuiltFromEngineModulesInTheConfiguredOrder()
    {
        var trainer = Trainer(new PlaygroundConfig
        {
            Hidden = [3, 2],
            Activation = "tanh",
            LayerActivations = ["gelu"],
            BatchNorm = true,
            Dropout = 0.2,
            Loss = "mse",
        });
        Assert.Equal(
            ["Linear", "BatchNorm1d", "GELU", "Dropout", "Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear", "Tanh"],
            trainer.Model.Layers.Select(m => m.GetType().Name));
        var regression = Trainer(new PlaygroundConfig { Problem = "regression", Dataset = "plane", Hidden = [2], Activation = "linear" });
        Assert.Equal(["Linear", "Linear"], regression.Model.Layers.Select(m => m.GetType().Name));
        trainer.RunEpoch(); // batch norm and dropout train
        Assert.True(double.IsFinite(trainer.Evaluate(test: true).Loss));
    }

    [Fact]
    public void GradientsVanishInADeepSigmoidNetworkButNotWithReluAndHe()
    {
        // The seeds' vanishing-gradient story: ‖∂L/∂W‖ of the first layer against the last.
        double Ratio(string activation, string init)
        {
            var trainer = Trainer(new PlaygroundConfig { Hidden = [8, 8, 8, 8, 8, 8], Activation = activation, Init = init, Dataset = "spirals" });
            trainer.RunEpoch();
            return trainer.GradientNorms[0] / trainer.GradientNorms[^1];
        }
        double sigmoid = Ratio("sigmoid", "default"), relu = Ratio("relu", "he");
        Assert.True(sigmoid < 0.01, $"sigmoid: first/last gradient norm {sigmoid}");
        Assert.True(relu > 0.1, $"ReLU + He: first/last gradient norm {relu}");
    }

    [Fact]
    public void TheExportIsASpecAndTheStateDictWithPyTorchNames()
    {
        var trainer = Trainer(new PlaygroundConfig { Hidden = [3], Activation = "relu", Dropout = 0.1, Optimizer = "momentum", Features = ["x1", "x2", "x1x2"] });
        trainer.RunEpoch();
        var model = System.Text.Json.Nodes.JsonNode.Parse(trainer.ExportModel().ToJsonString())!;
        // The canonical spec: every field explicit, as ModelSpec.ToJson writes it and the CLI reads it.
        Assert.Equal("""{"input":[3],"layers":[{"type":"linear","out":3,"bias":true},{"type":"relu"},{"type":"dropout","p":0.1},{"type":"linear","out":1,"bias":true},{"type":"sigmoid"}],"loss":"bce","optimizer":{"type":"sgd","lr":0.03,"momentum":0.9,"dampening":0,"weight_decay":0,"nesterov":false},"batch_size":10}""",
            model["spec"]!.ToJsonString());
        Assert.Equal(trainer.Spec, Neurite.Serialization.ModelSpec.Parse(model["spec"]!.ToJsonString()));
        string file = Path.Combine(Directory.CreateTempSubdirectory().FullName, "playground.safetensors");
        File.WriteAllBytes(file, Convert.FromBase64String((string)model["safetensors"]!));
        Assert.Equal(trainer.Spec, Neurite.Serialization.ModelFile.Load(file).Spec); // the model file that neurite predict reads holds the same spec
        Directory.Delete(Path.GetDirectoryName(file)!, true);
        Assert.Equal(["0.weight", "0.bias", "3.weight", "3.bias"], model["state_dict"]!.AsObject().Select(p => p.Key));
        Assert.Equal("[3,3]", model["state_dict"]!["0.weight"]!["shape"]!.ToJsonString());
        Assert.Equal(trainer.Linears[0].Weight[2, 1], (float)model["state_dict"]!["0.weight"]!["data"]![7]!);
        Assert.Equal(1, (int)model["epochs_trained"]!);
    }

    [Fact]
    public void TheScheduleSetsTheOptimizersLearningRateEachEpoch()
    {
        // Plain SGD on the whole training set as one batch: an epoch is one step that moves a weight by
        // exactly −lr·∂L/∂w, so from the same weights epoch 100 at the halved rate moves half as far.
        var config = new PlaygroundConfig { LearningRate = 0.1, Schedule = "step", TrainRatio = 10, BatchSize = 50 };
        var trainer = Trainer(config);
        for (int i = 0; i < 100; i++)
        {
            trainer.RunEpoch();
        }
        var before = trainer.Linears[0].Weight.ToArray();
        var constant = Trainer(config with { Schedule = "constant" });
        for (int i = 0; i < 100; i++)
        {
            constant.RunEpoch();
        }
        Assert.Equal(before, constant.Linears[0].Weight.ToArray()); // same rate for epochs 0–99
        trainer.RunEpoch();
        constant.RunEpoch();
        var halved = trainer.Linears[0].Weight.ToArray().Zip(before, (a, b) => a - b).ToArray();
        var full = constant.Linears[0].Weight.ToArray().Zip(before, (a, b) => a - b).ToArray();
        Assert.Contains(full, move => move != 0);
        for (int i = 0; i < full.Length; i++)
        {
            Assert.Equal(full[i] / 2, halved[i], 1e-6f);
        }
    }

    [Fact]
    public void EditingAWeightIsValidated()
    {
        var trainer = Trainer(new PlaygroundConfig());
        trainer.SetWeight(0, 1, 0, 0.75f);
        Assert.Equal(0.75f, trainer.Linears[0].Weight[1, 0]);
        trainer.SetWeight(1, 0, -1, -0.5f);
        Assert.Equal(-0.5f, trainer.Linears[1].Bias![0]);
        Assert.Equal("setWeight: layer 0 has weights [4, 2]; got to=4, from=0",
            Assert.Throws<PlaygroundValidationException>(() => trainer.SetWeight(0, 4, 0, 1)).Message);
        Assert.Equal("setWeight: layer must be from 0 to 2; got 3",
            Assert.Throws<PlaygroundValidationException>(() => trainer.SetWeight(3, 0, 0, 1)).Message);
        Assert.Contains("finite", Assert.Throws<PlaygroundValidationException>(() => trainer.SetWeight(0, 0, 0, float.NaN)).Message);
    }

    [Fact]
    public void TheExportedModelFileGivesNeuritePredictTheNetworksOutputs()
    {
        var trainer = Trainer(new PlaygroundConfig { Problem = "multiclass", Dataset = "blobs", Hidden = [4], Activation = "leaky_relu", Features = ["x1", "x2", "x1x2"] });
        trainer.RunEpoch();
        var export = trainer.ExportModel();
        string directory = Directory.CreateTempSubdirectory().FullName;
        try
        {
            string model = Path.Combine(directory, "playground.safetensors"), input = Path.Combine(directory, "points.csv");
            File.WriteAllBytes(model, Convert.FromBase64String((string)export["safetensors"]!));
            File.WriteAllLines(input, ["x2,x1,x1x2", "0.5,-1,-0.5", "-2,3,-6"]);
            var output = new StringWriter();
            var error = new StringWriter();
            Assert.True(Neurite.Cli.NeuriteCommandLine.Run(["predict", model, "--input", input, "--json"], output, error) == 0, error.ToString());
            var result = System.Text.Json.Nodes.JsonNode.Parse(output.ToString().TrimEnd().Split('\n')[^1])!;
            trainer.Model.Eval();
            var expected = trainer.Model.Call(Tensor.From([[-1f, 0.5f, -0.5f], [3f, -2f, -6f]])).ToArray();
            var actual = result["outputs"]!.AsArray().SelectMany(row => row!.AsArray().Select(v => (float)v!)).ToArray();
            Assert.Equal(expected, actual);
            Assert.Equal(2, result["classes"]!.AsArray().Count);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
