using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace Neurite.Tests.Playground;

public partial class StepperBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [GeneratedRegex(@"([zaLδx])=(-?\d+\.\d+)")]
    private static partial Regex Number();

    /// <summary>The numbers a neuron shows under it, by name (z, a, L, δ, x).</summary>
    private static async Task<Dictionary<string, double>> ShownAsync(IPage page, string node)
    {
        string text = await page.TextContentAsync($"#{node} .value") ?? "";
        return Number().Matches(text).ToDictionary(m => m.Groups[1].Value, m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture));
    }

    private static void Near(double expected, double shown, string what) =>
        Assert.True(Math.Abs(expected - shown) <= 0.0011, $"{what}: computed {expected:F4}, page shows {shown}");

    [Fact]
    public async Task TheForwardAndBackwardStepperShowsWhatACSharpComputationOfTheSameNetworkGives()
    {
        var (page, errors) = await browser.NewPageAsync("?features=x1,x2,sinx1&hidden=3,2&activation=tanh&seed=5&loss=mse");
        await page.FillAsync("#trace-x1", "1.5");
        await page.FillAsync("#trace-x2", "-2");
        await page.FillAsync("#trace-target", "1");
        await page.ClickAsync("#trace-start");
        await page.WaitForSelectorAsync("#stepper-controls:not([hidden])");
        Assert.Equal("1 / 11", await page.TextContentAsync("#step-index")); // input, 3 layers, loss, 3 layers back, 3 updates

        // The same network by hand, from the weights the page received.
        var weights = await page.EvaluateAsync<double[][][]>("() => window.playground.snapshot.weights");
        var biases = await page.EvaluateAsync<double[][]>("() => window.playground.snapshot.biases");
        double[] x = [1.5, -2, Math.Sin(1.5)];
        var activations = new List<double[]> { x };
        var zs = new List<double[]>();
        for (int l = 0; l < weights.Length; l++)
        {
            var z = weights[l].Select((row, j) => biases[l][j] + row.Select((w, i) => w * activations[^1][i]).Sum()).ToArray();
            zs.Add(z);
            activations.Add(z.Select(Math.Tanh).ToArray()); // tanh hidden layers and tanh output (classification)
        }

        for (int l = 0; l < weights.Length; l++)
        {
            await page.ClickAsync("#step-one");
            Assert.Equal($"{l + 2} / 11", await page.TextContentAsync("#step-index"));
            for (int j = 0; j < zs[l].Length; j++)
            {
                var shown = await ShownAsync(page, $"neuron-{l + 1}-{j}");
                Near(zs[l][j], shown["z"], $"z of layer {l + 1} neuron {j}");
                Near(activations[l + 1][j], shown["a"], $"a of layer {l + 1} neuron {j}");
                for (int i = 0; i < activations[l].Length; i++)
                {
                    string label = await page.TextContentAsync($"#link-label-{l}-{j}-{i}") ?? "";
                    Near(weights[l][j][i] * activations[l][i], double.Parse(label, CultureInfo.InvariantCulture), $"w·x on link {l}-{j}-{i}");
                }
            }
        }
        await BrowserFixture.ScreenshotAsync(page, "forward-pass");

        double y = activations[^1][0];
        await page.ClickAsync("#step-one");
        Near((y - 1) * (y - 1), (await ShownAsync(page, "neuron-3-0"))["L"], "squared loss");
        await page.ClickAsync("#step-one");
        // δ at the output: ∂L/∂z = 2(y − t)·(1 − y²) for tanh and the squared loss.
        double deltaOut = 2 * (y - 1) * (1 - (y * y));
        Near(deltaOut, (await ShownAsync(page, "neuron-3-0"))["δ"], "output δ");
        // ∂L/∂w of the output links: δ · a of the neuron the link comes from.
        for (int i = 0; i < 2; i++)
        {
            Near(deltaOut * activations[2][i], double.Parse(await page.TextContentAsync($"#link-label-2-0-{i}") ?? "", CultureInfo.InvariantCulture), "∂L/∂w");
        }
        await page.ClickAsync("#step-one");
        double delta = deltaOut * weights[2][0][1] * (1 - (activations[2][1] * activations[2][1]));
        Near(delta, (await ShownAsync(page, "neuron-2-1"))["δ"], "δ one layer back");
        await BrowserFixture.ScreenshotAsync(page, "backward-pass");

        // The updates: w − η·∂L/∂w on every link, layer by layer (η = 0.03, the default).
        var trace = await page.EvaluateAsync<double[][][]>("() => window.playground.lastTrace.weightGrad");
        await page.ClickAsync("#step-one"); // δ of the first hidden layer
        for (int l = 0; l < weights.Length; l++)
        {
            await page.ClickAsync("#step-one");
            Assert.Equal($"{9 + l} / 11", await page.TextContentAsync("#step-index"));
            Near(weights[l][0][1] - (0.03 * trace[l][0][1]), double.Parse(await page.TextContentAsync($"#link-label-{l}-0-1") ?? "", CultureInfo.InvariantCulture), $"update of layer {l + 1}");
        }
        await page.ClickAsync("#step-one"); // the last step stays
        Assert.Equal("11 / 11", await page.TextContentAsync("#step-index"));

        await page.ClickAsync("#step-back");
        Assert.Equal("10 / 11", await page.TextContentAsync("#step-index"));
        await page.ClickAsync("#step-first");
        Assert.Equal("1 / 11", await page.TextContentAsync("#step-index"));
        Near(Math.Sin(1.5), (await ShownAsync(page, "feature-sinx1"))["x"], "input feature");

        // Playing the steps advances them; 0.25× is four times slower than 1×.
        await page.ClickAsync("#speed-025");
        Assert.Contains("selected", await page.GetAttributeAsync("#speed-025", "class"));
        await page.ClickAsync("#speed-1");
        await page.ClickAsync("#step-play");
        await page.WaitForFunctionAsync("() => document.getElementById('step-index').textContent === '2 / 11'", null, new() { Timeout = 5000 });
        await page.ClickAsync("#step-play");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ClickingTheHeatMapTracesThatPointAndABadPointGetsAMessage()
    {
        var (page, errors) = await browser.NewPageAsync();
        await page.ClickAsync("#points", new() { Position = new() { X = 150, Y = 150 } }); // the centre: (0, 0)
        await page.WaitForSelectorAsync("#stepper-controls:not([hidden])");
        Assert.Equal(0, double.Parse(await page.InputValueAsync("#trace-x1"), CultureInfo.InvariantCulture), 1);
        Assert.Equal("1", await page.InputValueAsync("#trace-target")); // the circle's centre is labelled +1
        await page.FillAsync("#trace-target", "0.5");
        await page.ClickAsync("#trace-start");
        await page.WaitForSelectorAsync("#error:not([hidden])");
        Assert.Equal("trace: 0.5 is not a label of this classification problem", await page.TextContentAsync("#error-text"));
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_passes_are_animated_along_the_links_backward_links_show_their_gradient_and_labels_never_overlap()
    {
        var (page, errors) = await browser.NewPageAsync("?hidden=3,3&activation=tanh&seed=3");
        await page.ClickAsync("#trace-start");
        await page.WaitForSelectorAsync("#stepper-controls:not([hidden])");
        Assert.Equal("2", await page.InputValueAsync("#step-layers"));

        // STEP: the first layer's values flow along its 2 × 3 links as marks, forward.
        await page.ClickAsync("#step-one");
        await page.WaitForFunctionAsync("() => window.playground.network.animation?.layer === 0");
        Assert.Equal(6, await page.EvaluateAsync<int>("() => window.playground.network.animation.marks"));
        Assert.False(await page.EvaluateAsync<bool>("() => window.playground.network.animation.backward"));
        await page.WaitForFunctionAsync("() => window.playground.network.animation.done && document.querySelectorAll('.mark').length === 0");

        // The 3 × 3 links of the second layer: no label overlaps another.
        await page.ClickAsync("#step-one");
        Assert.Equal(9, await page.Locator(".link-label").CountAsync());
        Assert.Equal(0, await page.EvaluateAsync<int>("""
            () => { const b = [...document.querySelectorAll('.link-label')].map(t => t.getBBox()); let n = 0;
                    for (let i = 0; i < b.length; i++) for (let j = i + 1; j < b.length; j++)
                      if (b[i].x < b[j].x + b[j].width && b[j].x < b[i].x + b[i].width && b[i].y < b[j].y + b[j].height && b[j].y < b[i].y + b[i].height) n++;
                    return n; }
            """));
        await BrowserFixture.ScreenshotAsync(page, "animated-forward");

        // ▶▶ to the end of the forward pass, then of the loss, then of the backward pass.
        await page.ClickAsync("#step-forward");
        Assert.Equal("4 / 11", await page.TextContentAsync("#step-index"));
        await page.ClickAsync("#step-forward");
        Assert.Equal("5 / 11", await page.TextContentAsync("#step-index"));
        // One step back from the output: its links drawn by ∂L/∂w, the widest where |∂L/∂w| is largest, marks running backward.
        await page.ClickAsync("#step-one");
        await page.WaitForFunctionAsync("() => window.playground.network.animation?.backward === true && window.playground.network.animation.layer === 2");
        var grads = await page.EvaluateAsync<double[]>("() => [0, 1, 2].map(i => Number(document.getElementById(`link-2-0-${i}`).dataset.grad))");
        var widths = await page.EvaluateAsync<double[]>("() => [0, 1, 2].map(i => Number(document.getElementById(`link-2-0-${i}`).getAttribute('stroke-width')))");
        var trace = await page.EvaluateAsync<double[]>("() => window.playground.lastTrace.weightGrad[2][0]");
        Assert.Equal(trace.Select(g => Math.Round(g, 6)), grads.Select(g => Math.Round(g, 6)));
        Assert.Equal(Array.IndexOf(grads, grads.MaxBy(Math.Abs)), Array.IndexOf(widths, widths.Max()));
        Assert.Contains("δ=", await page.TextContentAsync("#neuron-3-0 .value"));
        await BrowserFixture.ScreenshotAsync(page, "animated-backward");
        await page.ClickAsync("#step-forward");
        Assert.Equal("8 / 11", await page.TextContentAsync("#step-index"));
        await page.ClickAsync("#step-first");
        Assert.Null(await page.EvaluateAsync<string?>("() => document.getElementById('link-2-0-0').dataset.grad ?? null")); // the weights again

        // The layer count: three hidden layers, and the same point traced through them.
        await page.FillAsync("#step-layers", "3");
        await page.DispatchEventAsync("#step-layers", "change");
        await page.WaitForFunctionAsync("() => window.playground.config.hidden.length === 3 && document.getElementById('step-index').textContent === '1 / 14'");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
