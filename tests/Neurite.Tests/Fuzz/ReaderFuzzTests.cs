using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Neurite.Data;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;
using Xunit.Abstractions;

namespace Neurite.Tests.Fuzz;

/// <summary>
/// Every file reader under mutation (<see cref="FuzzHarness"/>): safetensors, model files (their metadata: spec,
/// scaling, names), checkpoints (resumed and trained one more epoch), spec JSON, CSV, IDX and ONNX models. Each gives a valid
/// result or a clean one-line refusal naming the file, in proportion to the file. The Playground's WebSocket
/// messages are fuzzed in Playground/PlaygroundMessageFuzzTests.cs.
/// </summary>
public class ReaderFuzzTests(ITestOutputHelper output)
{
    private static readonly Type[] FileRefusals = [typeof(InvalidDataException), typeof(ModelSpecException)];

    internal static FuzzTarget SafeTensorsTarget { get; } = new("safetensors", path =>
    {
        SafeTensors.LoadMetadata(path);
        SafeTensors.Load(path);
    }, FileRefusals, BytesPerInputByte: 64, BaseBytes: 1 << 20, Structured: MutateHeader);

    internal static FuzzTarget ModelTarget { get; } = new("model", path =>
    {
        var model = TrainedModel.Load(path);
        if (model.InputWidth <= 4096)
        {
            model.Evaluator().Predict(Tensor.Zeros([2, .. model.Loaded.Spec.Input]));
        }
        // A valid model may not take the two rows predicted here (an imported ONNX graph with a fixed batch of 1): an
        // ArgumentException that says so is a clean refusal of this input, not of the file.
    }, FileRefusals, BytesPerInputByte: 256, BaseBytes: 4 << 20, Structured: MutateMetadata, Unnamed: [typeof(ArgumentException)]);

    internal static FuzzTarget CheckpointTarget { get; } = new("checkpoint", ResumeOneEpoch, FileRefusals, BytesPerInputByte: 256, BaseBytes: 16 << 20,
        Structured: MutateMetadata, Unnamed: [typeof(ArgumentException), typeof(InvalidOperationException)]);

    internal static FuzzTarget SpecTarget { get; } = new("spec", path =>
    {
        var spec = ModelSpec.Load(path);
        var summary = spec.Summarize();
        Assert.Equal(spec, ModelSpec.Parse(spec.ToJson()));
        if (summary.TotalParams <= 10_000)
        {
            spec.Build(new Generator(1));
        }
    }, [typeof(ModelSpecException)], BytesPerInputByte: 1024, BaseBytes: 4 << 20, Structured: (spec, mutator) => mutator.MutateJson(spec));

    internal static FuzzTarget CsvTarget { get; } = new("csv", path =>
    {
        var data = CsvData.Read(path);
        CsvData.ReadFeatures(path, data.FeatureNames!);
        CsvData.ReadFeatures(path, data.FeatureNames!.Count);
    }, [typeof(InvalidDataException)], BytesPerInputByte: 256, BaseBytes: 1 << 20);

    internal static FuzzTarget IdxTarget { get; } = new("idx", path =>
    {
        Exception? images = null, labels = null;
        try
        {
            Idx.ReadImages(path);
        }
        catch (InvalidDataException e)
        {
            images = e;
        }
        try
        {
            Idx.ReadLabels(path);
        }
        catch (InvalidDataException e)
        {
            labels = e;
        }
        if (images is not null && labels is not null)
        {
            throw images;
        }
    }, [typeof(InvalidDataException)], BytesPerInputByte: 4 * 1032 + 64, BaseBytes: 1 << 20, Structured: MutateIdx);

    /// <summary>An ONNX file imported (which runs it once on zeros), run on a batch of values, and its spec round-tripped through JSON.</summary>
    internal static FuzzTarget OnnxTarget { get; } = new("onnx", path =>
    {
        var loaded = OnnxFile.Load(path);
        loaded.Module.Eval();
        if (loaded.Spec.Input.Aggregate(1L, (a, b) => a * b) <= 4096 && loaded.Spec.Graph is null)
        {
            loaded.Module.Call(Tensor.Uniform([((OnnxSpec)loaded.Spec.Layers[0]).Model.Graph.Inputs[0].Shape![0].Value is { } n ? (int)n : 3, .. loaded.Spec.Input], -2, 2, new Generator(1)));
        }
        Assert.Equal(loaded.Spec, ModelSpec.Parse(loaded.Spec.ToJson()));
    }, FileRefusals, BytesPerInputByte: 1024, BaseBytes: 16 << 20, Structured: (model, mutator) => mutator.MutateProtobuf(model));

    internal static FuzzTarget Target(string name) =>
        new[] { SafeTensorsTarget, ModelTarget, CheckpointTarget, SpecTarget, CsvTarget, IdxTarget, OnnxTarget }.Single(t => t.Name == name);

    [Fact]
    public void Safetensors() => output.WriteLine(FuzzHarness.Run(SafeTensorsTarget, 1500));

    [Fact]
    public void Model_files() => output.WriteLine(FuzzHarness.Run(ModelTarget, 400));

    [Fact]
    public void Checkpoints() => output.WriteLine(FuzzHarness.Run(CheckpointTarget, 150));

    [Fact]
    public void Spec_json() => output.WriteLine(FuzzHarness.Run(SpecTarget, 1500));

    [Fact]
    public void Csv() => output.WriteLine(FuzzHarness.Run(CsvTarget, 1500));

    [Fact]
    public void Idx_files() => output.WriteLine(FuzzHarness.Run(IdxTarget, 1500));

    [Fact]
    public void Onnx_models() => output.WriteLine(FuzzHarness.Run(OnnxTarget, 1500));

    public static TheoryData<string, string> CommittedInputs => FuzzHarness.CommittedInputs("safetensors", "model", "checkpoint", "spec", "csv", "idx", "onnx");

    /// <summary>Every committed input, the reproducers of failures found before included, reads cleanly.</summary>
    [Theory]
    [MemberData(nameof(CommittedInputs))]
    public void Committed_input_reads_cleanly(string reader, string file)
    {
        var outcome = FuzzHarness.Replay(Target(reader), file);
        Assert.True(outcome.Failure is null, outcome.Failure);
        // The seeds themselves are valid files.
        Assert.True(file.StartsWith("crashes", StringComparison.Ordinal) || outcome.Accepted, $"{reader}/{file}: {outcome.Refusal}");
    }

    /// <summary>A checkpoint resumed as neurite train --resume does, on data its spec's input takes, and trained one epoch more.</summary>
    private static void ResumeOneEpoch(string path)
    {
        var checkpoint = Checkpoint.Load(path);
        string? data = checkpoint.Spec?.Input switch
        {
            [1] => "sin:n=8",
            [2] => "xor:n=8",
            _ => null,
        };
        if (data is null)
        {
            return;
        }
        string directory = Path.GetDirectoryName(path)!;
        var run = TrainingRun.Create(null!, new RunOptions(Data: data, Resume: path, ModelPath: Path.Combine(directory, "resumed.safetensors"),
            Epochs: (int)Math.Min(checkpoint.Training["history"] is JsonArray h ? h.Count + 1 : 1, 100)));
        run.Execute();
    }

    /// <summary>Mutates a safetensors header's JSON and frames it again with its new length, keeping the data.</summary>
    private static byte[] MutateHeader(byte[] file, Mutator mutator)
    {
        if (file.Length < 8 || BinaryPrimitives.ReadUInt64LittleEndian(file) is var n && n > (ulong)(file.Length - 8))
        {
            return mutator.Mutate(file, []);
        }
        var header = mutator.Mutate(file[8..(8 + (int)n)], []);
        return Frame(header, file[(8 + (int)n)..]);
    }

    private static byte[] Frame(byte[] header, byte[] data)
    {
        var framed = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(framed, (ulong)header.Length);
        header.CopyTo(framed, 8);
        data.CopyTo(framed, 8 + header.Length);
        return framed;
    }

    /// <summary>Mutates the text of one __metadata__ entry (a spec, optimizer or training state, scaling, names) and frames the file again.</summary>
    private static byte[] MutateMetadata(byte[] file, Mutator mutator)
    {
        JsonObject? metadata;
        JsonNode? header;
        int n;
        try
        {
            n = (int)BinaryPrimitives.ReadUInt64LittleEndian(file);
            header = JsonNode.Parse(file.AsSpan(8, n));
            metadata = header?["__metadata__"] as JsonObject;
        }
        catch (Exception e) when (e is JsonException or ArgumentException or InvalidOperationException)
        {
            return mutator.Mutate(file, []); // a reproducer that is no longer a safetensors file
        }
        if (metadata is not { Count: > 0 } || metadata.Select(entry => entry.Value).ElementAt(mutator.Next(metadata.Count)) is not JsonValue value
            || !value.TryGetValue(out string? text))
        {
            return mutator.Mutate(file, []);
        }
        string key = metadata.First(entry => entry.Value == value).Key;
        var bytes = Encoding.UTF8.GetBytes(text);
        metadata[key] = Encoding.UTF8.GetString(mutator.Next(2) == 0 ? mutator.MutateJson(bytes) : mutator.Mutate(bytes, []));
        return Frame(JsonSerializer.SerializeToUtf8Bytes(header), file[(8 + n)..]);
    }

    /// <summary>Mutates an IDX file's content, decompressed when it is gzip, and compresses it again.</summary>
    private static byte[] MutateIdx(byte[] file, Mutator mutator)
    {
        if (file.Length < 2 || file[0] != 0x1f || file[1] != 0x8b)
        {
            return mutator.Mutate(file, []);
        }
        using var unzipped = new MemoryStream();
        try
        {
            using var gzip = new GZipStream(new MemoryStream(file), CompressionMode.Decompress);
            gzip.CopyTo(unzipped);
        }
        catch (InvalidDataException)
        {
            return mutator.Mutate(file, []);
        }
        var content = mutator.Mutate(unzipped.ToArray(), []);
        using var zipped = new MemoryStream();
        using (var gzip = new GZipStream(zipped, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(content);
        }
        return zipped.ToArray();
    }
}
