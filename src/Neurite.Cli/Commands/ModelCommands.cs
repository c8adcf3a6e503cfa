using System.CommandLine;
using System.Text.Json.Nodes;
using Neurite.Cli.Rendering;
using Neurite.Data;
using Neurite.Serialization;
using Neurite.Training;
using Spectre.Console;

namespace Neurite.Cli.Commands;

/// <summary><c>neurite eval MODEL --data SOURCE</c>: the model's loss and metrics on a data source (its test set when it has one).</summary>
internal static class EvalCommand
{
    public static Command Build(Terminal console)
    {
        var model = new Argument<string>("MODEL") { Description = "a model file written by neurite train" };
        var data = new Option<string>("--data") { Description = "data source (its test set when it has one)", Required = true };
        var seed = new Option<ulong?>("--seed") { Description = "seed of a synthetic source (default: the one the model was trained with)" };
        var target = new Option<string?>("--target") { Description = "the CSV column holding the target (default: the spec's data.target, else label)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object as the last line" };
        var command = new Command("eval", "evaluate a trained model on a data source") { model, data, seed, target, json };
        command.SetAction(parse => Run(console, parse.GetRequiredValue(model), parse.GetRequiredValue(data), parse.GetValue(seed), parse.GetValue(target), parse.GetValue(json)));
        return command;
    }

    private static int Run(Terminal console, string modelPath, string source, ulong? seed, string? target, bool json)
    {
        var saved = TrainedModel.Load(modelPath);
        var data = saved.ReadData(source, seed, target);
        if (saved.Loaded.Spec.Autoencoder is null)
        {
            DataPreparation.CheckOutputs(saved.Loaded.Spec, data, saved.Objective);
        }
        var evaluation = saved.Evaluator(data).Evaluate(data);
        if (json)
        {
            var result = new JsonObject { ["loss"] = evaluation.Loss, ["samples"] = evaluation.Samples };
            if (evaluation.Classification is { } c)
            {
                result["accuracy"] = c.Accuracy;
            }
            if (evaluation.Regression is { } r)
            {
                result["mse"] = r.Mse;
                result["mae"] = r.Mae;
                result["r2"] = double.IsFinite(r.R2) ? r.R2 : null;
            }
            foreach (var (name, value) in evaluation.Metrics ?? new Dictionary<string, double>())
            {
                result[name] = value;
            }
            console.Out.WriteLine(result.ToJsonString());
        }
        else
        {
            Tables.Evaluation(console, evaluation);
        }
        return 0;
    }
}

/// <summary><c>neurite predict MODEL --input FILE.csv</c>: raw outputs, class probabilities and predicted classes for each row.</summary>
internal static class PredictCommand
{
    public static Command Build(Terminal console)
    {
        var model = new Argument<string>("MODEL") { Description = "a model file written by neurite train, or an ONNX file (.onnx)" };
        var input = new Option<string>("--input")
        {
            Description = "a CSV file (a header row) with the columns the model was trained on; for a model that records none, the inputs by position",
            Required = true,
        };
        var target = new Option<string>("--target") { Description = "a column to leave out when the inputs are read by position", DefaultValueFactory = _ => "label" };
        var json = new Option<bool>("--json") { Description = "print one JSON object as the last line" };
        var command = new Command("predict", "run a trained model on the rows of a CSV file") { model, input, target, json };
        command.SetAction(parse => Run(console, parse.GetRequiredValue(model), parse.GetRequiredValue(input), parse.GetRequiredValue(target), parse.GetValue(json)));
        return command;
    }

    private static int Run(Terminal console, string modelPath, string inputPath, string target, bool json)
    {
        var saved = TrainedModel.Load(modelPath);
        var x = saved.ReadInputs(inputPath, target);
        var outputs = saved.Evaluator().Predict(x, saved.FixedBatch ?? 512);
        int rows = outputs.Shape[0], width = outputs.Rank == 2 ? outputs.Shape[1] : 1;
        var result = new JsonObject
        {
            ["outputs"] = new JsonArray([.. Enumerable.Range(0, rows).Select(i => (JsonNode)new JsonArray([.. outputs.Data.Slice(i * width, width).ToArray().Select(v => (JsonNode)v)]))]),
        };
        int[]? classes = null;
        if (saved.Objective.Task == TaskKind.Classification)
        {
            var probabilities = saved.Objective.Probabilities(outputs);
            int k = probabilities.Shape[1];
            classes = saved.Objective.Classes(outputs);
            result["probabilities"] = new JsonArray([.. Enumerable.Range(0, rows).Select(i => (JsonNode)new JsonArray([.. probabilities.Data.Slice(i * k, k).ToArray().Select(v => (JsonNode)v)]))]);
            result["classes"] = new JsonArray([.. classes.Select(c => (JsonNode)(saved.ClassNames is { } n && c < n.Count ? n[c] : c.ToString(System.Globalization.CultureInfo.InvariantCulture)))]);
        }
        if (json)
        {
            console.Out.WriteLine(result.ToJsonString());
            return 0;
        }
        var table = new Table().AddColumn("row").AddColumn("outputs");
        if (classes is not null)
        {
            table.AddColumn("class");
        }
        for (int i = 0; i < rows; i++)
        {
            string values = string.Join("  ", outputs.Data.Slice(i * width, width).ToArray().Select(v => v.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture)));
            table.AddRow(classes is null
                ? [(i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), values]
                : [(i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), values, Markup.Escape((string)result["classes"]![i]!)]);
        }
        console.Ansi.Write(table);
        return 0;
    }
}

/// <summary><c>neurite summary SPEC-or-MODEL</c>: a Keras-like table of layers, output shapes and parameter counts.</summary>
internal static class SummaryCommand
{
    public static Command Build(Terminal console)
    {
        var path = new Argument<string>("SPEC-or-MODEL") { Description = "a JSON spec, a .safetensors model file or an .onnx file" };
        var json = new Option<bool>("--json") { Description = "print one JSON object as the last line" };
        var command = new Command("summary", "show a model's layers, output shapes and parameter counts") { path, json };
        command.SetAction(parse =>
        {
            string file = parse.GetRequiredValue(path);
            var spec = file.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) ? ModelFile.Load(file).Spec
                : file.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase) ? OnnxFile.Load(file).Spec
                : TrainingRun.LoadSpec(file);
            var summary = spec.Summarize();
            if (parse.GetValue(json))
            {
                console.Out.WriteLine(summary.ToJson());
            }
            else
            {
                Tables.Summary(console, summary);
            }
            return 0;
        });
        return command;
    }
}
