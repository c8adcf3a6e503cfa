using System.Globalization;
using System.Net;
using System.Text;
using Neurite.Data;
using Neurite.Distributed;
using Neurite.Imaging;
using Neurite.IO;
using Neurite.Serialization;
using Neurite.Training;

namespace Neurite.Cli.Rendering;

/// <summary>
/// The report written beside a trained model: one self-contained HTML file (inline SVG and CSS, images as
/// <c>data:</c> URIs, no script, nothing fetched) with the loss (linear or log scale), accuracy and learning-rate
/// curves (gridlines and tick values), the confusion matrix, for two input features the decision boundary over the
/// data, for a CNN its first layer's filters and the feature maps of a few held-out images, and the model summary.
/// </summary>
internal static class HtmlReport
{
    private const int Width = 560, Height = 260, Margin = 44;

    /// <summary>How many held-out images the feature-map section shows.</summary>
    public const int FeatureMapImages = 3;

    private const string Header = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Neurite training report</title>
            <style>
            body { font: 14px system-ui, sans-serif; margin: 2em; color: #222; }
            h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
            table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: right; }
            th:first-child, td:first-child { text-align: left; }
            svg { background: #fafafa; border: 1px solid #ddd; }
            .legend span { margin-right: 1.2em; } .train { color: #1f77b4; } .val { color: #d62728; }
            .maps { display: flex; flex-wrap: wrap; gap: 3px; margin: 0.3em 0 0.8em; }
            .maps img { height: 56px; image-rendering: pixelated; border: 1px solid #ddd; } .maps img.filter { height: 36px; }
            .grid { stroke: #e4e4e4; } .tick { font-size: 11px; fill: #555; }
            .log-chart { display: none; } #loss-log:checked ~ .log-chart { display: block; } #loss-log:checked ~ .linear-chart { display: none; }
            figure { display: inline-block; margin: 0.5em 1em 0.5em 0; vertical-align: top; max-width: 520px; }
            figure img { image-rendering: pixelated; max-width: 500px; } figcaption { font-size: 0.9em; }
            </style></head><body>
            <h1>Neurite training report</h1>
            """;

    public static void Write(string path, ModelSpec spec, FitResult fit, Evaluation? test, IReadOnlyList<string> classNames, Trainer trainer, Dataset train,
        Dataset? heldOut, AutoencoderFigures? autoencoder = null)
    {
        var html = new StringBuilder();
        html.Append(Header);
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

        bool variational = spec.Autoencoder is { } pair && spec.NodeLayer(pair.Code) is GaussianSampleSpec;
        bool boltzmann = spec.Layers is [RbmSpec];
        html.Append(variational ? "<h2>Loss: the negative ELBO per sample</h2>" : boltzmann ? "<h2>Loss: the reconstruction error of one Gibbs step</h2>" : "<h2>Loss</h2>")
            .Append(Legend(history.Any(h => h.ValidationLoss is not null)));
        // A log scale without script: a checkbox whose state the style sheet reads.
        double[] trainLoss = [.. history.Select(h => h.TrainLoss)], heldOutLoss = [.. history.Select(h => h.ValidationLoss ?? double.NaN)];
        html.Append("<input type=\"checkbox\" id=\"loss-log\"><label for=\"loss-log\"> log scale</label>");
        html.Append("<div class=\"linear-chart\">").Append(Chart(trainLoss, heldOutLoss, "loss")).Append("</div>");
        html.Append("<div class=\"log-chart\">").Append(Chart(trainLoss, heldOutLoss, "loss (log scale)", logScale: true)).Append("</div>");
        if (boltzmann)
        {
            double Metric(EpochResult h, string name) => h.Metrics?.GetValueOrDefault(name, double.NaN) ?? double.NaN;
            html.Append("<h2>Pseudo-log-likelihood per sample</h2>").Append(Legend(history.Any(h => h.ValidationLoss is not null)));
            html.Append(Chart([.. history.Select(h => Metric(h, "pseudo_log_likelihood"))], [.. history.Select(h => Metric(h, "val_pseudo_log_likelihood"))], "pseudo-log-likelihood"));
        }
        if (history.Any(h => h.TrainAccuracy is not null))
        {
            html.Append("<h2>Accuracy</h2>").Append(Legend(history.Any(h => h.ValidationAccuracy is not null)));
            html.Append(Chart([.. history.Select(h => h.TrainAccuracy ?? double.NaN)], [.. history.Select(h => h.ValidationAccuracy ?? double.NaN)], "accuracy"));
        }
        html.Append("<h2>Learning rate</h2>");
        var rates = history.Select(h => h.LearningRate).Distinct().ToArray();
        html.Append(rates.Length == 1
            ? Invariant($"<p>Constant: {rates[0]:G6} every epoch.</p>")
            : Chart([.. history.Select(h => h.LearningRate)], [], "learning rate"));
        if (trainer.Callbacks.OfType<DataParallel>().SingleOrDefault() is { } parallel)
        {
            DataParallelSection(html, parallel, trainer.Communicator!.Size, history.Sum(h => h.Seconds));
        }
        if (DecisionBoundary(trainer, heldOut ?? train, classNames) is { } boundary)
        {
            html.Append("<h2>Decision boundary</h2><p>The predicted class over the range of the two input features, with the ")
                .Append(heldOut is null ? "training" : "held-out").Append(" points in their true class's colour.</p>").Append(boundary);
        }

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

        if (autoencoder is not null)
        {
            Autoencoder(html, autoencoder);
        }

        if (spec.Graph is not { Inputs.Count: > 1 })
        {
            Convolutions(html, trainer, heldOut, spec.Input);
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

    /// <summary>A data-parallel run's gradient all-reduces: the buckets, and the time in flight and exposed after backward, per step and as a share of the epochs' time.</summary>
    private static void DataParallelSection(StringBuilder html, DataParallel parallel, int ranks, double epochSeconds)
    {
        double perStep = 1000.0 / Math.Max(parallel.Steps, 1), share = 100 / Math.Max(epochSeconds, 1e-9);
        html.Append("<h2>Data-parallel training</h2>");
        html.Append(Invariant($"<p>{ranks} ranks, {parallel.Steps} steps; gradients summed in {parallel.BucketCount} bucket(s) of "))
            .Append(string.Join(", ", parallel.BucketLengths.Select(length => Invariant($"{length * sizeof(float) / 1024.0:0.#} KiB")))).Append(".</p>");
        html.Append(Invariant($"<table><tr><th></th><th>seconds</th><th>ms per step</th><th>% of the epochs' time</th></tr>"));
        html.Append(Invariant($"<tr><td>all-reduces in flight (overlapped with backward or not)</td><td>{parallel.CommunicationSeconds:0.000}</td><td>{parallel.CommunicationSeconds * perStep:0.000}</td><td>{parallel.CommunicationSeconds * share:0.0}</td></tr>"));
        html.Append(Invariant($"<tr><td>waited for after backward (exposed)</td><td>{parallel.ExposedCommunicationSeconds:0.000}</td><td>{parallel.ExposedCommunicationSeconds * perStep:0.000}</td><td>{parallel.ExposedCommunicationSeconds * share:0.0}</td></tr></table>"));
    }

    /// <summary>
    /// A GAN's report: the discriminator's and the generator's losses, the discriminator's mean outputs on real and fake
    /// images, a grid of samples of the same fixed codes after every epoch (for a conditional pair one class per row), the
    /// model summary and the spec.
    /// </summary>
    public static void WriteGan(string path, GanRun run, FitResult fit)
    {
        var html = new StringBuilder(Header);
        var history = fit.History;
        html.Append(Invariant($"<p>A generative adversarial pair: {history.Count} epochs of {run.Loader.BatchCount} steps (one discriminator step, then one generator step); stopped: {fit.Reason.ToString().ToLowerInvariant()}{(fit.Message is null ? "" : " — " + WebUtility.HtmlEncode(fit.Message))}; {fit.SamplesPerSecond:N0} training samples/s.</p>"));
        double Metric(EpochResult r, string name) => r.Metrics is { } m && m.TryGetValue(name, out double v) ? v : double.NaN;
        html.Append("<h2>Losses</h2><p class=\"legend\"><span class=\"train\">━ discriminator: BCE(D(x), 1) + BCE(D(G(z)), 0)</span><span class=\"val\">━ generator: BCE(D(G(z)), 1)</span></p>");
        html.Append(Chart([.. history.Select(h => h.TrainLoss)], [.. history.Select(h => Metric(h, "loss_g"))], "loss"));
        html.Append("<h2>The discriminator's outputs</h2><p class=\"legend\"><span class=\"train\">━ mean σ(D(x)) on real images</span><span class=\"val\">━ mean σ(D(G(z))) on fakes</span></p>");
        html.Append(Chart([.. history.Select(h => Metric(h, "d_real"))], [.. history.Select(h => Metric(h, "d_fake"))], "D"));
        html.Append("<h2>Samples</h2><p>The same codes z after every epoch")
            .Append(run.FirstSampledEpoch == 1 ? "" : Invariant($" from epoch {run.FirstSampledEpoch} (this run resumed after epoch {run.FirstSampledEpoch - 1})"))
            .Append(run.FixedLabels is null ? "" : ", one class per row (" + WebUtility.HtmlEncode(string.Join(", ", run.Data.Train.ClassNames)) + ")")
            .Append(".</p>");
        int columns = run.FixedLabels is null ? 8 : GanRun.SamplesPerClass;
        for (int e = 0; e < run.EpochSamples.Count; e++)
        {
            var grid = Picture.Grid(run.EpochSamples[e], columns);
            int epoch = run.FirstSampledEpoch + e;
            html.Append(Invariant($"<figure><img alt=\"samples after epoch {epoch}\" src=\"data:image/png;base64,{Convert.ToBase64String(grid.ToPng())}\"><figcaption>after epoch {epoch}</figcaption></figure>"));
        }
        var summary = run.Spec.Summarize();
        html.Append("<h2>Model</h2><table><tr><th>layer</th><th>type</th><th>output shape</th><th>params</th></tr>");
        foreach (var layer in summary.Layers)
        {
            html.Append(Invariant($"<tr><td>{WebUtility.HtmlEncode(layer.Name)}</td><td>{layer.Type}</td><td>{WebUtility.HtmlEncode(Tables.Shape(layer.OutputShape))}</td><td>{layer.Params:N0}</td></tr>"));
        }
        html.Append(Invariant($"</table><p>Total parameters: {summary.TotalParams:N0}.</p>"));
        html.Append("<h2>Spec</h2><pre>").Append(WebUtility.HtmlEncode(run.Spec.ToJson())).Append("</pre></body></html>\n");
        AtomicFile.WriteAllText(path, html.ToString());
    }

    /// <summary>
    /// What a CNN learned: the first Conv2d's filters, one image per output channel (the mean over its input channels,
    /// on one diverging scale for all filters: blue negative, white zero, red positive), and for the first few held-out
    /// images (their first channel pictured) the feature maps of every Conv2d and ConvTranspose2d, one grayscale image per
    /// channel, each scaled from its own minimum (black) to its maximum (white). Nothing for a model without a Conv2d.
    /// </summary>
    private static void Convolutions(StringBuilder html, Trainer trainer, Dataset? heldOut, IReadOnlyList<int> inputShape)
    {
        if (FeatureMaps.FirstConv2d(trainer.Model) is not var (name, conv))
        {
            return;
        }
        var weight = conv.Weight; // [O, C/groups, kh, kw]
        int filters = weight.Shape[0], perFilter = weight.Shape[1], kh = weight.Shape[2], kw = weight.Shape[3], area = kh * kw;
        var means = FeatureMaps.FilterMeans(conv);
        float scale = Math.Max(means.Max(MathF.Abs), float.Epsilon);
        html.Append(Invariant($"<h2>First-layer filters</h2><p>Layer {WebUtility.HtmlEncode(name)}: {filters} filters of {kh}×{kw}"));
        html.Append(perFilter == 1 ? "" : Invariant($", each the mean over its {perFilter} input channels"));
        html.Append(Invariant($"; blue negative, red positive, white zero, on one scale (±{scale:G3}).</p><div class=\"maps\">"));
        for (int o = 0; o < filters; o++)
        {
            var rgb = new byte[area * 3];
            for (int p = 0; p < area; p++)
            {
                float t = Math.Clamp(means[o * area + p] / scale, -1f, 1f);
                byte fade = (byte)MathF.Round(255 * (1 - MathF.Abs(t)));
                (rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2]) = t >= 0 ? ((byte)255, fade, fade) : (fade, fade, (byte)255);
            }
            html.Append(Image(kw, kh, 3, rgb, "filter", Invariant($"filter {o}")));
        }
        html.Append("</div>");

        if (heldOut is null || heldOut.Count == 0)
        {
            return;
        }
        int count = Math.Min(FeatureMapImages, heldOut.Count);
        var examples = heldOut.Subset([.. Enumerable.Range(0, count)]);
        var maps = FeatureMaps.Capture(trainer, examples.Features);
        html.Append(Invariant($"<h2>Feature maps</h2><p>The output of every convolution for the first {count} held-out images, one map per channel, each scaled from its own minimum (black) to its maximum (white).</p>"));
        for (int n = 0; n < count; n++)
        {
            html.Append(Invariant($"<h3>Held-out image {n + 1}"));
            if (examples.Task == TaskKind.Classification)
            {
                html.Append(" (").Append(WebUtility.HtmlEncode(examples.ClassNames[(int)examples.Targets.Data[n]])).Append(')');
            }
            html.Append("</h3>");
            if (inputShape.Count == 3)
            {
                int size = inputShape[1] * inputShape[2];
                html.Append("<div class=\"maps\">").Append(Gray(examples.Features.Data.Slice(n * inputShape[0] * size, size), inputShape[2], inputShape[1], "input", "input")).Append("</div>");
            }
            foreach (var (layer, output) in maps)
            {
                int channels = output.Shape[1], h = output.Shape[2], wide = output.Shape[3], plane = h * wide;
                html.Append(Invariant($"<p>Layer {WebUtility.HtmlEncode(layer)}: {channels} maps of {h}×{wide}</p><div class=\"maps\">"));
                for (int c = 0; c < channels; c++)
                {
                    html.Append(Gray(output.Data.Slice((n * channels + c) * plane, plane), wide, h, "fmap", Invariant($"layer {layer}, channel {c}")));
                }
                html.Append("</div>");
            }
        }
    }

    /// <summary>An autoencoder's figures, each with its caption, and the 2-D code's comparison with PCA.</summary>
    private static void Autoencoder(StringBuilder html, AutoencoderFigures figures)
    {
        html.Append("<h2>").Append(WebUtility.HtmlEncode(figures.Title)).Append("</h2>");
        if (figures.Comparison is { } c)
        {
            html.Append(Invariant($"<p>k-nearest-neighbour classifier (k = {c.K}, the training samples as neighbours) on the held-out data: {c.CodeAccuracy:P2} in the 2-D code, {c.PcaAccuracy:P2} in PCA's 2-D projection (which keeps {c.ExplainedVarianceRatio.Sum():P1} of the variance).</p>"));
            html.Append("<p class=\"legend\">");
            for (int i = 0; i < figures.ClassNames.Count; i++)
            {
                var (r, g, b) = Picture.Palette[i % Picture.Palette.Count];
                html.Append(Invariant($"<span style=\"color: rgb({r},{g},{b})\">■ {WebUtility.HtmlEncode(figures.ClassNames[i])}</span>"));
            }
            html.Append("</p>");
        }
        foreach (var (caption, file) in figures.Files)
        {
            html.Append(Invariant($"<figure><img alt=\"{WebUtility.HtmlEncode(caption)}\" src=\"data:image/png;base64,{Convert.ToBase64String(figures.Pictures[file].ToPng())}\"><figcaption>{WebUtility.HtmlEncode(caption)}</figcaption></figure>"));
        }
    }

    /// <summary>A grayscale image of <paramref name="values"/> (row-major), from their minimum (black) to their maximum (white).</summary>
    private static string Gray(ReadOnlySpan<float> values, int width, int height, string kind, string title)
    {
        float low = float.PositiveInfinity, high = float.NegativeInfinity;
        foreach (float v in values)
        {
            (low, high) = (Math.Min(low, v), Math.Max(high, v));
        }
        float range = high > low ? high - low : 1f;
        var gray = new byte[values.Length];
        for (int i = 0; i < gray.Length; i++)
        {
            gray[i] = (byte)MathF.Round(255 * (values[i] - low) / range);
        }
        return Image(width, height, 1, gray, kind, title);
    }

    private static string Image(int width, int height, int channels, byte[] pixels, string kind, string title) =>
        Invariant($"<img class=\"{kind}\" title=\"{WebUtility.HtmlEncode(title)}\" alt=\"{WebUtility.HtmlEncode(title)}\" src=\"data:image/png;base64,{Convert.ToBase64String(Png.Encode(width, height, channels, pixels))}\">");

    private static string Legend(bool validation) =>
        "<p class=\"legend\"><span class=\"train\">━ training</span>" + (validation ? "<span class=\"val\">━ held-out</span>" : "") + "</p>";

    private static readonly string[] ClassColours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];

    /// <summary>
    /// For classification on two input features: the predicted class over a 100 × 100 grid spanning the data (a pale
    /// image of the class colours) with the points on top, as SVG with axes; otherwise null.
    /// </summary>
    private static string? DecisionBoundary(Trainer trainer, Dataset data, IReadOnlyList<string> classNames)
    {
        if (data.Task != TaskKind.Classification || data.SampleShape is not [2] || data.Count == 0 || trainer.Objective is null)
        {
            return null;
        }
        const int Grid = 100, Size = 320, Left = 44, Top = 10;
        var x = data.Features.ToArray();
        var labels = data.Targets.ToArray();
        var (x0, x1) = Range(Enumerable.Range(0, data.Count).Select(i => x[2 * i]));
        var (y0, y1) = Range(Enumerable.Range(0, data.Count).Select(i => x[(2 * i) + 1]));
        var grid = new float[Grid * Grid * 2];
        for (int row = 0; row < Grid; row++)
        {
            for (int col = 0; col < Grid; col++)
            {
                // Row 0 is the top (largest second feature), at cell centres.
                grid[2 * ((row * Grid) + col)] = (float)(x0 + ((x1 - x0) * (col + 0.5) / Grid));
                grid[(2 * ((row * Grid) + col)) + 1] = (float)(y1 - ((y1 - y0) * (row + 0.5) / Grid));
            }
        }
        var classes = trainer.Objective.Classes(trainer.Predict(Tensors.Tensor.From(grid, [Grid * Grid, 2])));
        var pixels = new byte[Grid * Grid * 3];
        for (int i = 0; i < classes.Length; i++)
        {
            var colour = Rgb(ClassColours[classes[i] % ClassColours.Length]);
            for (int c = 0; c < 3; c++)
            {
                pixels[(3 * i) + c] = (byte)(255 - ((255 - colour[c]) * 0.35)); // pale, so that the points stand out
            }
        }
        double Px(double v) => Left + (Size * (v - x0) / (x1 - x0));
        double Py(double v) => Top + (Size * (y1 - v) / (y1 - y0));
        var svg = new StringBuilder(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Left + Size + 10}\" height=\"{Top + Size + 36}\" role=\"img\" aria-label=\"decision boundary\">"));
        svg.Append(Invariant($"<image x=\"{Left}\" y=\"{Top}\" width=\"{Size}\" height=\"{Size}\" preserveAspectRatio=\"none\" style=\"image-rendering: pixelated\" href=\"data:image/png;base64,{Convert.ToBase64String(Png.Encode(Grid, Grid, 3, pixels))}\"/>"));
        foreach (double t in NiceTicks(x0, x1, 6))
        {
            svg.Append(Invariant($"<text class=\"tick\" x=\"{Px(t):0.0}\" y=\"{Top + Size + 14}\" text-anchor=\"middle\">{Tick(t)}</text>"));
        }
        foreach (double t in NiceTicks(y0, y1, 6))
        {
            svg.Append(Invariant($"<text class=\"tick\" x=\"{Left - 4}\" y=\"{Py(t) + 4:0.0}\" text-anchor=\"end\">{Tick(t)}</text>"));
        }
        svg.Append(Invariant($"<text class=\"tick\" x=\"{Left + Size}\" y=\"{Top + Size + 30}\" text-anchor=\"end\">feature 1 →</text><text class=\"tick\" x=\"4\" y=\"{Top + 10}\">↑ 2</text>"));
        for (int i = 0; i < data.Count; i++)
        {
            int label = (int)labels[i];
            svg.Append(Invariant($"<circle cx=\"{Px(x[2 * i]):0.0}\" cy=\"{Py(x[(2 * i) + 1]):0.0}\" r=\"2.2\" fill=\"{ClassColours[label % ClassColours.Length]}\" stroke=\"#fff\" stroke-width=\"0.5\"/>"));
        }
        svg.Append("</svg><p class=\"legend\">");
        for (int c = 0; c < classNames.Count; c++)
        {
            svg.Append(Invariant($"<span style=\"color: {ClassColours[c % ClassColours.Length]}\">● {WebUtility.HtmlEncode(classNames[c])}</span>"));
        }
        return svg.Append("</p>").ToString();
    }

    /// <summary>The range of the values with 5 % room on each side.</summary>
    private static (double Low, double High) Range(IEnumerable<float> values)
    {
        double low = values.Min(), high = values.Max(), room = Math.Max(high - low, 1e-6) * 0.05;
        return (low - room, high + room);
    }

    private static byte[] Rgb(string hex) => [Convert.ToByte(hex[1..3], 16), Convert.ToByte(hex[3..5], 16), Convert.ToByte(hex[5..7], 16)];

    /// <summary>Round tick values within [low, high], about <paramref name="count"/> of them: steps of 1, 2 or 5 × 10ᵏ.</summary>
    internal static double[] NiceTicks(double low, double high, int count)
    {
        double raw = (high - low) / count, magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double step = new[] { 1, 2, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw * 0.999);
        var ticks = new List<double>();
        for (double k = Math.Ceiling((low / step) - 1e-9); k * step <= high + (step * 1e-9); k++)
        {
            ticks.Add(Math.Round(k * step / magnitude) * magnitude);
        }
        return [.. ticks];
    }

    private static string Tick(double value) => value.ToString("G4", CultureInfo.InvariantCulture);

    /// <summary>
    /// An SVG line chart of one or two series over epochs 1…n with gridlines and tick values on both axes; with
    /// <paramref name="logScale"/> the y axis is log₁₀ (values that are not positive are left out).
    /// </summary>
    private static string Chart(double[] first, double[] second, string label, bool logScale = false)
    {
        var values = first.Concat(second).Where(v => double.IsFinite(v) && (!logScale || v > 0)).ToArray();
        var svg = new StringBuilder(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" role=\"img\" aria-label=\"{label}\">"));
        if (values.Length == 0)
        {
            return svg.Append("<text x=\"20\" y=\"30\">no data</text></svg>").ToString();
        }
        Func<double, double> f = logScale ? Math.Log10 : v => v;
        double low = f(values.Min()), high = f(values.Max());
        if (high - low < 1e-12)
        {
            (low, high) = logScale ? (low - 0.5, high + 0.5) : (low - (Math.Abs(low) * 0.1) - 1e-9, high + (Math.Abs(high) * 0.1) + 1e-9);
        }
        int n = Math.Max(first.Length, second.Length);
        double X(double epoch) => Margin + (n == 1 ? 0 : (Width - 2 * Margin) * (epoch - 1) / (n - 1));
        double Y(double v) => Height - Margin - (Height - 2 * Margin) * (f(v) - low) / (high - low);
        // Gridlines and tick values: round numbers on a linear axis, powers of ten (and 2·, 5· over a short range) on a log one.
        var yTicks = logScale
            ? Enumerable.Range((int)Math.Floor(low), (int)Math.Ceiling(high) - (int)Math.Floor(low) + 1)
                .SelectMany(e => high - low < 2 ? new[] { 1.0, 2, 5 }.Select(m => m * Math.Pow(10, e)) : [Math.Pow(10, e)])
                .Where(v => f(v) >= low - 1e-9 && f(v) <= high + 1e-9).ToArray()
            : NiceTicks(low, high, 5);
        foreach (double t in yTicks)
        {
            svg.Append(Invariant($"<line class=\"grid\" x1=\"{Margin}\" y1=\"{Y(t):0.0}\" x2=\"{Width - Margin}\" y2=\"{Y(t):0.0}\"/><text class=\"tick\" x=\"{Margin - 4}\" y=\"{Y(t) + 4:0.0}\" text-anchor=\"end\">{Tick(t)}</text>"));
        }
        foreach (double t in n == 1 ? [1.0] : NiceTicks(1, n, 6).Where(t => t >= 1 && t == Math.Floor(t)))
        {
            svg.Append(Invariant($"<line class=\"grid\" x1=\"{X(t):0.0}\" y1=\"{Margin}\" x2=\"{X(t):0.0}\" y2=\"{Height - Margin}\"/><text class=\"tick\" x=\"{X(t):0.0}\" y=\"{Height - Margin + 15}\" text-anchor=\"middle\">{Tick(t)}</text>"));
        }
        svg.Append(Invariant($"<line x1=\"{Margin}\" y1=\"{Height - Margin}\" x2=\"{Width - Margin}\" y2=\"{Height - Margin}\" stroke=\"#999\"/>"));
        svg.Append(Invariant($"<line x1=\"{Margin}\" y1=\"{Margin}\" x2=\"{Margin}\" y2=\"{Height - Margin}\" stroke=\"#999\"/>"));
        svg.Append(Invariant($"<text class=\"tick\" x=\"{Width - Margin}\" y=\"{Height - 8}\" text-anchor=\"end\">epoch</text><text class=\"tick\" x=\"{Margin}\" y=\"{Margin - 8}\">{label}</text>"));
        foreach (var (series, colour) in new[] { (first, "#1f77b4"), (second, "#d62728") })
        {
            var points = series.Select((v, i) => (v, i)).Where(p => double.IsFinite(p.v) && (!logScale || p.v > 0)).Select(p => Invariant($"{X(p.i + 1):0.0},{Y(p.v):0.0}")).ToArray();
            if (points.Length > 0)
            {
                svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(' ', points)}\"/>"));
            }
        }
        return svg.Append("</svg>").ToString();
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
