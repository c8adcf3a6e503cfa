using System.Buffers.Binary;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Tests.Training;

/// <summary>How a run fits the data's samples to the spec's input: CSV rows take its shape, images keep theirs.</summary>
public sealed class SampleShapeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-shapes-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    /// <summary>12 rows of 64 pixel columns p0 … p63, row i's pixel k = 100·i + k, labels 0 and 2 (none is 1).</summary>
    private string DigitsCsv()
    {
        string path = PathOf("digits.csv");
        var lines = new List<string> { string.Join(",", Enumerable.Range(0, 64).Select(k => $"p{k}").Append("label")) };
        for (int i = 0; i < 12; i++)
        {
            lines.Add(string.Join(",", Enumerable.Range(0, 64).Select(k => 100 * i + k).Append(i % 2 * 2)));
        }
        File.WriteAllLines(path, lines);
        return path;
    }

    private static ModelSpec Spec(string input, string csv, string layers, string extra = "") => ModelSpec.Parse($$$"""
        {"input": {{{input}}}, "layers": {{{layers}}}, "loss": "cross_entropy", "epochs": 1, "batch_size": 4,
         "data": {"source": "{{{csv}}}"{{{extra}}}}}
        """);

    [Fact]
    public void A_csv_row_takes_the_specs_image_shape_in_row_major_order()
    {
        var spec = Spec("[1, 8, 8]", DigitsCsv(), """[{"type": "batch_norm"}, {"type": "flatten"}, {"type": "linear", "out": 3}]""",
            """, "augment": {"flip": true, "shift": 1}""");
        var run = TrainingRun.Create(spec, new RunOptions(ModelPath: PathOf("digits.safetensors")));
        var train = run.Data.Train;
        Assert.Equal([1, 8, 8], train.SampleShape.ToArray());
        Assert.Null(run.Trainer.InputShape); // the batches already have the model's shape
        for (int i = 0; i < 12; i++)
        {
            for (int k = 0; k < 64; k++)
            {
                Assert.Equal(100 * i + k, train.Features[i, 0, k / 8, k % 8]); // column k is row k / 8, column k % 8
            }
        }
        // Labels 0 and 2: three classes, the largest label + 1.
        Assert.Equal(["0", "1", "2"], train.ClassNames);
        Assert.Equal(64, train.FeatureNames!.Count);

        var result = run.Execute();
        Assert.Single(result.Fit.History);
        var saved = TrainedModel.Load(result.ModelPath);
        var rows = Neurite.Data.CsvData.ReadFeatures(DigitsCsv(), saved.FeatureNames!);
        Assert.Equal([12, 3], saved.Evaluator().Predict(rows).Shape.ToArray()); // [12, 64] rows reshaped to [1, 8, 8]
    }

    [Fact]
    public void Flat_models_keep_flat_rows_and_shapes_that_do_not_fit_are_named()
    {
        string csv = DigitsCsv();
        var flat = TrainingRun.Create(Spec("[64]", csv, """[{"type": "linear", "out": 3}]"""), new RunOptions(ModelPath: PathOf("flat.safetensors")));
        Assert.Equal([64], flat.Data.Train.SampleShape.ToArray());
        Assert.Null(flat.Trainer.InputShape);

        var e = Assert.Throws<ArgumentException>(() => TrainingRun.Create(
            Spec("[1, 8, 9]", csv, """[{"type": "flatten"}, {"type": "linear", "out": 3}]"""), new RunOptions(ModelPath: PathOf("bad.safetensors"))));
        Assert.Equal("input: the spec takes samples of shape [1, 8, 9], but the data's samples are [64]", e.Message);
    }

    [Fact]
    public void Idx_images_keep_their_shape_and_a_flat_model_gets_each_batch_reshaped()
    {
        // Six 4×4 images, pixel k of image i = 10·i + k, labels 0 … 2.
        string images = PathOf("images.idx"), labels = PathOf("labels.idx");
        var header = new byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(header, 0x00000803);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), 6);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(8), 4);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(12), 4);
        File.WriteAllBytes(images, [.. header, .. Enumerable.Range(0, 6).SelectMany(i => Enumerable.Range(0, 16).Select(k => (byte)(10 * i + k)))]);
        var labelHeader = new byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(labelHeader, 0x00000801);
        BinaryPrimitives.WriteUInt32BigEndian(labelHeader.AsSpan(4), 6);
        File.WriteAllBytes(labels, [.. labelHeader, 0, 1, 2, 0, 1, 2]);

        var spec = ModelSpec.Parse("""{"input": [16], "layers": [{"type": "linear", "out": 3}], "epochs": 1, "batch_size": 3, "data": {"source": """
            + $"\"idx:{images},{labels}\"" + """, "augment": {"flip": true}}}""");
        var run = TrainingRun.Create(spec, new RunOptions(ModelPath: PathOf("idx.safetensors")));
        Assert.Equal([1, 4, 4], run.Data.Train.SampleShape.ToArray());
        Assert.Equal([16], run.Trainer.InputShape);
        Assert.Equal(25f, run.Data.Train.Features[2, 0, 1, 1]); // image 2, pixel 5
        Assert.Single(run.Execute().Fit.History);
    }
}
