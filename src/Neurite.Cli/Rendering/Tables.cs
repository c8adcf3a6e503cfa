using System.Globalization;
using Neurite.Serialization;
using Neurite.Training;
using Spectre.Console;

namespace Neurite.Cli.Rendering;

/// <summary>The tables the commands print for people (the --json output is separate).</summary>
internal static class Tables
{
    public static void TrainingResult(Terminal console, FitResult fit, Evaluation? test, string modelPath, string reportPath)
    {
        var table = new Table().AddColumn("").AddColumn(new TableColumn("value").RightAligned());
        if (fit.History.Count > 0)
        {
            var last = fit.History[^1];
            table.AddRow("epochs", last.Epoch.ToString(CultureInfo.InvariantCulture));
            table.AddRow("train loss", Number(last.TrainLoss));
            if (last.TrainAccuracy is { } accuracy)
            {
                table.AddRow("train accuracy", Percent(accuracy));
            }
        }
        if (test is not null)
        {
            table.AddRow("test loss", Number(test.Loss));
            if (test.Classification is { } c)
            {
                table.AddRow("test accuracy", Percent(c.Accuracy));
            }
            if (test.Regression is { } r)
            {
                table.AddRow("test R²", Number(r.R2));
            }
        }
        table.AddRow("samples/s", fit.SamplesPerSecond.ToString("N0", CultureInfo.InvariantCulture));
        if (fit.Message is not null)
        {
            console.Out.WriteLine(fit.Message);
        }
        console.Ansi.Write(table);
        console.Out.WriteLine($"model:  {modelPath}");
        console.Out.WriteLine($"report: {reportPath}");
    }

    public static void Summary(Terminal console, ModelSummary summary)
    {
        bool graph = summary.Layers.Any(layer => layer.Inputs is not null);
        var table = new Table().AddColumn("layer").AddColumn("type");
        if (graph)
        {
            table.AddColumn("inputs");
        }
        table.AddColumn("output shape").AddColumn(new TableColumn("params").RightAligned()).AddColumn(new TableColumn("MACs").RightAligned());
        if (!graph)
        {
            table.AddRow("input", "", Markup.Escape(Shape(summary.InputShape)), "0", "0");
        }
        foreach (var layer in summary.Layers)
        {
            string[] cells = graph
                ? [Markup.Escape(layer.Name), Markup.Escape(layer.Description), Markup.Escape(string.Join(", ", layer.Inputs ?? [])), Markup.Escape(Shape(layer.OutputShape)), Count(layer.Params), Count(layer.MultiplyAccumulates)]
                : [Markup.Escape(layer.Name), Markup.Escape(layer.Description), Markup.Escape(Shape(layer.OutputShape)), Count(layer.Params), Count(layer.MultiplyAccumulates)];
            table.AddRow(cells);
        }
        console.Ansi.Write(table);
        console.Out.WriteLine($"total params: {Count(summary.TotalParams)}   trainable: {Count(summary.TrainableParams)}   MACs per sample: {Count(summary.TotalMultiplyAccumulates)}");
    }

    public static void Evaluation(Terminal console, Evaluation evaluation)
    {
        console.Out.WriteLine($"samples {evaluation.Samples}   loss {Number(evaluation.Loss)}");
        if (evaluation.Regression is { } r)
        {
            console.Out.WriteLine($"MSE {Number(r.Mse)}   MAE {Number(r.Mae)}   R² {Number(r.R2)}");
        }
        if (evaluation.Classification is not { } c)
        {
            return;
        }
        console.Out.WriteLine($"accuracy {Percent(c.Accuracy)}");
        var scores = new Table().AddColumn("class").AddColumn(new TableColumn("precision").RightAligned())
            .AddColumn(new TableColumn("recall").RightAligned()).AddColumn(new TableColumn("F1").RightAligned()).AddColumn(new TableColumn("support").RightAligned());
        foreach (var s in c.PerClass())
        {
            scores.AddRow(Markup.Escape(s.Name), Number(s.Precision, "0.000"), Number(s.Recall, "0.000"), Number(s.F1, "0.000"), s.Support.ToString(CultureInfo.InvariantCulture));
        }
        console.Ansi.Write(scores);
        console.Out.WriteLine("confusion matrix (rows: true class, columns: predicted class)");
        var confusion = new Table().AddColumn("");
        foreach (var name in c.ClassNames)
        {
            confusion.AddColumn(new TableColumn(Markup.Escape(name)).RightAligned());
        }
        var counts = c.Confusion;
        for (int t = 0; t < c.ClassNames.Count; t++)
        {
            confusion.AddRow([Markup.Escape(c.ClassNames[t]), .. Enumerable.Range(0, c.ClassNames.Count).Select(p => counts[t, p].ToString(CultureInfo.InvariantCulture))]);
        }
        console.Ansi.Write(confusion);
    }

    public static string Shape(IReadOnlyList<int> shape) => "(" + string.Join(", ", shape.Select(d => d < 0 ? "None" : d.ToString(CultureInfo.InvariantCulture))) + ")";

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Number(double value, string format = "0.0000") => value.ToString(format, CultureInfo.InvariantCulture);

    public static string Percent(double value) => value.ToString("P2", CultureInfo.InvariantCulture);
}
