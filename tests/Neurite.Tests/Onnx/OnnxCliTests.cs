using System.Diagnostics;
using System.Text.Json.Nodes;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Tests.Support;

namespace Neurite.Tests.Onnx;

/// <summary>neurite export and predict with ONNX files, and ONNX's own checker on every exported file.</summary>
public sealed class OnnxCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-onnx-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static (int Code, string Out, string Error) Run(params string[] args) => CommandLineHarness.Run(args);

    private static JsonObject LastJson(string output) => JsonNode.Parse(output.TrimEnd().Split('\n')[^1])!.AsObject();

    [Fact]
    public void Export_writes_a_file_that_onnx_runtime_runs_with_the_models_outputs()
    {
        var (spec, module, inputs) = OnnxExportTests.Model("mlp");
        string model = PathOf("mlp.safetensors"), onnx = PathOf("mlp.onnx");
        ModelFile.Save(model, module, spec);
        var (code, output, error) = Run("export", model, "--onnx", onnx, "--json");
        Assert.True(code == 0, error);
        var result = LastJson(output);
        Assert.Equal(onnx, (string)result["onnx"]!);
        Assert.Equal(17, (int)result["opset"]!);
        Assert.Equal(8, (int)result["ir_version"]!);
        Assert.Equal("input: float [batch, 1, 4, 4]", (string)result["inputs"]![0]!);
        Assert.Equal("output: float [batch, 10]", (string)result["output"]!);
        Assert.Equal(new FileInfo(onnx).Length, (long)result["bytes"]!);
        OnnxRuntimeReference.AssertClose(module.Call(inputs["input"]), OnnxRuntimeReference.Run(File.ReadAllBytes(onnx), inputs), "mlp.onnx");

        (code, output, error) = Run("export", model, "--onnx", onnx);
        Assert.True(code == 0, error);
        Assert.StartsWith($"wrote {onnx}: opset 17, ", output);
    }

    /// <summary>A model trained on standardized CSV columns exports with its scaling first: ONNX Runtime on the raw rows gives predict's outputs.</summary>
    [Fact]
    public void Export_puts_the_recorded_input_scaling_first()
    {
        string csv = PathOf("points.csv");
        var rng = new Random(2);
        File.WriteAllLines(csv, ["x1,x2,x3,label", .. Enumerable.Range(0, 120).Select(_ =>
        {
            double a = rng.NextDouble() * 200 - 100, b = rng.NextDouble() * 0.01, c = rng.NextDouble() * 10 + 50;
            return FormattableString.Invariant($"{a},{b},{c},{(a / 100 + b * 50 > 0.5 ? "yes" : "no")}");
        })]);
        string spec = PathOf("scaled.json");
        File.WriteAllText(spec, """
            {"input": [3], "layers": [{"type": "linear", "out": 8}, {"type": "tanh"}, {"type": "linear", "out": 2}], "loss": "cross_entropy",
             "optimizer": {"type": "adam", "lr": 0.05}, "batch_size": 20, "epochs": 3, "data": {"source": "points.csv", "scale": "standardize"}}
            """);
        string model = PathOf("scaled.safetensors"), onnx = PathOf("scaled.onnx");
        var (code, _, error) = Run("train", spec, "--out", model);
        Assert.True(code == 0, error);
        (code, var predicted, error) = Run("predict", model, "--input", csv, "--json");
        Assert.True(code == 0, error);
        (code, _, error) = Run("export", model, "--onnx", onnx);
        Assert.True(code == 0, error);
        var raw = Neurite.Data.CsvData.ReadFeatures(csv, 3);
        var rows = LastJson(predicted)["outputs"]!.AsArray();
        var expected = Tensor.From([.. rows.SelectMany(row => row!.AsArray().Select(v => (float)v!))], [rows.Count, 2]);
        OnnxRuntimeReference.AssertClose(expected, OnnxRuntimeReference.Run(File.ReadAllBytes(onnx), new Dictionary<string, Tensor> { ["input"] = raw }), "scaled.onnx");
        Assert.Equal(["Sub", "Div"], OnnxModel.Load(onnx).Graph.Nodes.Take(2).Select(node => node.OpType));
    }

    /// <summary>The rows of the torch fixture's input batch as a CSV file with a header (whose names predict ignores).</summary>
    private string FixtureCsv(int rows)
    {
        var x = Reference.Fixture.ReadTensor(Reference.Fixture.Load("torch_mlp_onnx.json").GetProperty("input"));
        string path = PathOf($"rows{rows}.csv");
        File.WriteAllLines(path, ["a,b,c,d", .. Enumerable.Range(0, rows).Select(i =>
            string.Join(",", Enumerable.Range(0, 4).Select(j => x[i % 5, j].ToString("R", System.Globalization.CultureInfo.InvariantCulture))))]);
        return path;
    }

    [Fact]
    public void Predict_runs_an_onnx_file_on_csv_rows()
    {
        var (code, output, error) = Run("predict", OnnxProtobufTests.Reference("torch_mlp_opset13.onnx"), "--input", FixtureCsv(5), "--json");
        Assert.True(code == 0, error);
        var rows = LastJson(output)["outputs"]!.AsArray();
        var expected = Reference.Fixture.ReadTensor(Reference.Fixture.Load("torch_mlp_onnx.json").GetProperty("output"));
        var actual = Tensor.From([.. rows.SelectMany(row => row!.AsArray().Select(v => (float)v!))], [rows.Count, 3]);
        Reference.Fixture.AssertClose(expected, actual, "neurite predict torch_mlp_opset13.onnx");
        Assert.Null(LastJson(output)["classes"]);

        (code, output, error) = Run("summary", OnnxProtobufTests.Reference("torch_mlp_opset13.onnx"), "--json");
        Assert.True(code == 0, error);
        Assert.Equal(379, (int)LastJson(output)["total_params"]!);
    }

    /// <summary>A graph exported with a fixed batch (PyTorch's default without dynamic_axes) takes exactly that many rows.</summary>
    [Fact]
    public void Predict_gives_a_fixed_batch_exactly_its_rows()
    {
        var model = OnnxModel.Load(OnnxProtobufTests.Reference("torch_mlp_opset17.onnx"));
        OnnxValueInfo Fixed(OnnxValueInfo info) => new() { Name = info.Name, ElementType = info.ElementType, Shape = [5L, .. info.Shape!.Skip(1)] };
        var fixedBatch = new OnnxModel
        {
            IrVersion = model.IrVersion,
            Opsets = model.Opsets,
            Graph = new OnnxGraph { Nodes = model.Graph.Nodes, Initializers = model.Graph.Initializers, Inputs = [Fixed(model.Graph.Inputs[0])], Outputs = [Fixed(model.Graph.Outputs[0])] },
        };
        string path = PathOf("fixed.onnx");
        File.WriteAllBytes(path, fixedBatch.ToBytes());
        var (code, output, error) = Run("predict", path, "--input", FixtureCsv(5), "--json");
        Assert.True(code == 0, error);
        Assert.Equal(5, LastJson(output)["outputs"]!.AsArray().Count);
        (code, _, error) = Run("predict", path, "--input", FixtureCsv(4), "--json");
        Assert.Equal(1, code);
        Assert.Equal($"neurite: {PathOf("rows4.csv")}: 4 rows, but the model's graph takes a batch of exactly 5.", error.TrimEnd());
    }

    [Fact]
    public void Predict_refuses_an_unsupported_onnx_file_on_one_line()
    {
        var model = OnnxModel.Load(OnnxProtobufTests.Reference("torch_mlp_opset17.onnx"));
        var gemm = model.Graph.Nodes[0];
        var unsupported = new OnnxModel
        {
            IrVersion = model.IrVersion,
            Opsets = model.Opsets,
            Graph = new OnnxGraph
            {
                Nodes = [new OnnxNode { Name = gemm.Name, OpType = "LpPool", Inputs = gemm.Inputs, Outputs = gemm.Outputs }, .. model.Graph.Nodes.Skip(1)],
                Initializers = model.Graph.Initializers,
                Inputs = model.Graph.Inputs,
                Outputs = model.Graph.Outputs,
            },
        };
        string path = PathOf("lppool.onnx");
        File.WriteAllBytes(path, unsupported.ToBytes());
        var (code, _, error) = Run("predict", path, "--input", FixtureCsv(5));
        Assert.Equal(1, code);
        Assert.Equal($"neurite: {path}: node 0 '/0/Gemm' (LpPool): the operator LpPool is not supported.", error.TrimEnd());
        File.WriteAllBytes(path, unsupported.ToBytes()[..200]);
        (code, _, error) = Run("predict", path, "--input", FixtureCsv(5));
        Assert.Equal(1, code);
        Assert.Matches("^neurite: .*lppool.onnx: not a valid ONNX model: .* at byte [0-9]+\\.$", error.TrimEnd());
    }

    /// <summary>ONNX's checker (Debian's python3-onnx 1.12, full_check: schemas and strict shape inference) accepts every exported model.</summary>
    [Fact]
    public void Onnx_checker_accepts_every_exported_model()
    {
        var files = new List<string>();
        foreach (string name in OnnxExportTests.Cases.Keys)
        {
            var (spec, module, _) = OnnxExportTests.Model(name);
            string path = PathOf(name + ".onnx");
            OnnxFile.Save(path, module, spec);
            files.Add(path);
        }
        var (code, output) = Python([Path.Combine(ReadmeTests.RepositoryRoot(), "tests", "reference", "check_onnx.py"), .. files]);
        Assert.True(code == 0, output);
        Assert.Equal(files.Count, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Count(line => line.StartsWith("ok ", StringComparison.Ordinal)));
    }

    /// <summary>Runs Debian's /usr/bin/python3 (python3-onnx installed: test.sh installs it); returns its exit code and output.</summary>
    internal static (int Code, string Output) Python(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        using var process = Process.Start(start)!;
        var stderr = process.StandardError.ReadToEndAsync();
        string stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        string all = stdout + stderr.Result;
        Assert.False(all.Contains("No module named 'onnx'", StringComparison.Ordinal),
            "python3-onnx is missing; install it with `apt-get install -y python3-onnx` (test.sh does).");
        return (process.ExitCode, all);
    }
}
