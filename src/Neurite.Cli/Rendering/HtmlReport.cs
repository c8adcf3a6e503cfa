using System.Globalization;
using System.Net;
using System.Text;
using Neurite.IO;
using Neurite.Serialization;
using Neurite.Training;

namespace Neurite.Cli.Rendering;

/// <summary>
/// The report written beside a trained model: one self-contained HTML file (inline SVG and CSS, no
/// script, nothing fetched) with the loss, accuracy and learning-rate curves, the confusion matrix
/// and the model summary.
/// </summary>
internal static class HtmlReport
{
    private const int Width = 560, Height = 260, Margin = 44;

    public static void Write(string path, ModelSpec spec, FitResult fit, Evaluation? test, IReadOnlyList<string> classNames)
    {
        var html = new StringBuilder();
        html.Append("""
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Neurite training report</title>
            <style>
            body { font: 14px system-ui, sans-serif; margin: 2em; color: #222; }
            h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
            table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            svg { background: #fafafa; border: 1px solid #ddd; }
            .legend span { margin-right: 1.2em; } .train { color: #1f77b4; } .val { color: #d62728; }
            </style></head><body>
            <h1>Neurite training report</h1>
            """);
        var history = fit.History;
        html.Append(Invariant($"<p>{history.Count} epochs; stopped: {fit.Reason.ToString().ToLowerInvariant()}{(fit.Message is null ? "" : " — " + WebUtility.HtmlEncode(fit.Message))}; {fit.SamplesPerSecond:N0} training samples/s.</p>"));
        if (test is not null)
        {
            html.Append(Invariant($"<p>Held-out data: {test.Samples} samples, loss {test.Loss:0.0000}"));
            if (test.Classification is { } c)
            {
                html.Append(Invariant($", accuracy {c.Accuracy:P2}"));
            }
            if (test.Regression is { } r)
            {
                html.Append(Invariant($", MSE {r.Mse:0.0000}, MAE {r.Mae:0.0000}, R² {r.R2:0.0000}"));
            }
            html.Append(".</p>");
        }

        html.Append("<h2>Loss</h2>").Append(Legend(history.Any(h => h.ValidationLoss is not null)));
        html.Append(Chart([.. history.Select(h => h.TrainLoss)], [.. history.Select(h => h.ValidationLoss ?? double.NaN)], "loss"));
        if (history.Any(h => h.TrainAccuracy is not null))
        {
            html.Append("<h2>Accuracy</h2>").Append(Legend(history.Any(h => h.ValidationAccuracy is not null)));
            html.Append(Chart([.. history.Select(h => h.TrainAccuracy ?? double.NaN)], [.. history.Select(h => h.ValidationAccuracy ?? double.NaN)], "accuracy"));
        }
        html.Append("<h2>Learning rate</h2>");
        html.Append(Chart([.. history.Select(h => h.LearningRate)], [], "learning rate"));

        if (test?.Classification is { } classification)
        {
            html.Append("<h2>Confusion matrix</h2><p>Rows: true class; columns: predicted class.</p><table><tr><th></th>");
            foreach (var name in classNames)
            {
                html.Append("<th>").Append(WebUtility.HtmlEncode(name)).Append("</th>");
            }
            html.Append("</tr>");
            var counts = classification.Confusion;
            long largest = Math.Max(1, counts.Cast<long>().Max());
            for (int t = 0; t < classNames.Count; t++)
            {
                html.Append("<tr><th>").Append(WebUtility.HtmlEncode(classNames[t])).Append("</th>");
                for (int p = 0; p < classNames.Count; p++)
                {
                    double shade = (double)counts[t, p] / largest;
                    html.Append(Invariant($"<td style=\"background: rgba({(t == p ? "31,119,180" : "214,39,40")},{shade * 0.6:0.00})\">{counts[t, p]}</td>"));
                }
                html.Append("</tr>");
            }
            html.Append("</table>");
        }

        var summary = spec.Summarize();
        html.Append("<h2>Model</h2><table><tr><th>layer</th><th>type</th><th>output shape</th><th>params</th><th>MACs</th></tr>");
        foreach (var layer in summary.Layers)
        {
            html.Append(Invariant($"<tr><td>{WebUtility.HtmlEncode(layer.Name)}</td><td>{layer.Type}</td><td>{WebUtility.HtmlEncode(Tables.Shape(layer.OutputShape))}</td><td>{layer.Params:N0}</td><td>{layer.MultiplyAccumulates:N0}</td></tr>"));
        }
        html.Append(Invariant($"</table><p>Total parameters: {summary.TotalParams:N0}; multiply–accumulates per sample: {summary.TotalMultiplyAccumulates:N0}.</p>"));
        html.Append("<h2>Spec</h2><pre>").Append(WebUtility.HtmlEncode(spec.ToJson())).Append("</pre></body></html>\n");
        AtomicFile.WriteAllText(path, html.ToString());
    }

    private static string Legend(bool validation) =>
        "<p class=\"legend\"><span class=\"train\">━ training</span>" + (validation ? "<span class=\"val\">━ held-out</span>" : "") + "</p>";

    /// <summary>An SVG line chart of one or two series over epochs 1…n, with its y range labelled.</summary>
    private static string Chart(double[] first, double[] second, string label)
    {
        var values = first.Concat(second).Where(double.IsFinite).ToArray();
        var svg = new StringBuilder(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"{label}\">"));
        if (values.Length == 0)
        {
            return svg.Append("<text x=\"20\" y=\"30\">no data</text></svg>").ToString();
        }
        double low = values.Min(), high = values.Max();
        if (high - low < 1e-12)
        {
            (low, high) = (low - 0.5, high + 0.5);
        }
        int n = Math.Max(first.Length, second.Length);
        double X(int i) => Margin + (n == 1 ? 0 : (Width - 2 * Margin) * i / (double)(n - 1));
        double Y(double v) => Height - Margin - (Height - 2 * Margin) * (v - low) / (high - low);
        svg.Append(Invariant($"<line x1=\"{Margin}\" y1=\"{Height - Margin}\" x2=\"{Width - Margin}\" y2=\"{Height - Margin}\" stroke=\"#999\"/>"));
        svg.Append(Invariant($"<line x1=\"{Margin}\" y1=\"{Margin}\" x2=\"{Margin}\" y2=\"{Height - Margin}\" stroke=\"#999\"/>"));
        svg.Append(Invariant($"<text x=\"4\" y=\"{Margin + 4}\" font-size=\"11\">{high:G4}</text><text x=\"4\" y=\"{Height - Margin + 4}\" font-size=\"11\">{low:G4}</text>"));
        svg.Append(Invariant($"<text x=\"{Margin}\" y=\"{Height - 12}\" font-size=\"11\">epoch 1</text><text x=\"{Width - Margin - 50}\" y=\"{Height - 12}\" font-size=\"11\">epoch {n}</text>"));
        foreach (var (series, colour) in new[] { (first, "#1f77b4"), (second, "#d62728") })
        {
            var points = series.Select((v, i) => (v, i)).Where(p => double.IsFinite(p.v)).Select(p => Invariant($"{X(p.i):0.0},{Y(p.v):0.0}")).ToArray();
            if (points.Length > 0)
            {
                svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(' ', points)}\"/>"));
            }
        }
        return svg.Append("</svg>").ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
