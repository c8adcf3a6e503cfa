using System.Diagnostics;
using System.Text.Json.Nodes;
using Neurite.Cli;
using Neurite.Serialization;
using Neurite.Tensors;

namespace Neurite.Tests.Onnx;

/// <summary>neurite export and predict with ONNX files, and ONNX's own checker on every exported file.</summary>
public sealed class OnnxCliTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("neurite-onnx-cli-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string PathOf(string name) => Path.Combine(_directory, name);

    private static (int Code, string Out, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = NeuriteCommandLine.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

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
