using System.CommandLine;
using System.Text.Json.Nodes;
using Neurite.Serialization;
using Neurite.Training;

namespace Neurite.Cli.Commands;

/// <summary>
/// <c>neurite export MODEL --onnx OUT.onnx</c>: a model file as an ONNX graph (opset 17) that ONNX Runtime runs; the
/// input scaling the file records comes first in the graph, so that it takes raw features as <c>neurite predict</c> does.
/// </summary>
internal static class ExportCommand
{
    public static Command Build(Terminal console)
    {
        var model = new Argument<string>("MODEL") { Description = "a model file written by neurite train" };
        var onnx = new Option<string>("--onnx") { Description = "the ONNX file to write (opset 17, IR version 8, a dynamic batch axis)", Required = true };
        var json = new Option<bool>("--json") { Description = "print one JSON object as the last line" };
        var command = new Command("export", "write a model as an ONNX file") { model, onnx, json };
        command.SetAction(parse => Run(console, parse.GetRequiredValue(model), parse.GetRequiredValue(onnx), parse.GetValue(json)));
        return command;
    }

    private static int Run(Terminal console, string modelPath, string onnxPath, bool json)
    {
        var saved = TrainedModel.Load(modelPath);
        var loaded = saved.Loaded;
        loaded.Module.Eval();
        var graph = OnnxFile.Save(onnxPath, loaded.Module, loaded.Spec, saved.Preprocessor).Graph;
        if (json)
        {
            console.Out.WriteLine(new JsonObject
            {
                ["onnx"] = onnxPath,
                ["opset"] = OnnxExporter.Opset,
                ["ir_version"] = OnnxExporter.IrVersion,
                ["nodes"] = graph.Nodes.Count,
                ["initializers"] = graph.Initializers.Count,
                ["inputs"] = new JsonArray([.. graph.Inputs.Select(input => (JsonNode)$"{input.Name}: {input.DescribeType()}")]),
                ["output"] = $"{graph.Outputs[0].Name}: {graph.Outputs[0].DescribeType()}",
                ["bytes"] = new FileInfo(onnxPath).Length,
            }.ToJsonString());
        }
        else
        {
            console.Out.WriteLine($"wrote {onnxPath}: opset {OnnxExporter.Opset}, {graph.Nodes.Count} nodes, {graph.Initializers.Count} initializers, "
                + $"{string.Join(", ", graph.Inputs.Select(input => $"{input.Name} {input.DescribeType()}"))} -> {graph.Outputs[0].Name} {graph.Outputs[0].DescribeType()}");
        }
        return 0;
    }
}
