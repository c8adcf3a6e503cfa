namespace Neurite.Tests.Playground;

/// <summary>The loss and gradient-flow charts: the whole run in view, axes with values, hover, and the vanishing-gradient lesson readable.</summary>
public class ChartsBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task The_loss_chart_keeps_the_whole_run_downsampled_with_axes_and_hover()
    {
        // Longer than the 5,000 epochs the chart used to keep, in at most 500 points (and the latest losses).
        var (page, errors) = await browser.NewPageAsync("?speed=max&stopAt=6000");
        await page.ClickAsync("#play");
        await page.WaitForFunctionAsync("() => window.playground.snapshot.epoch === 6000 && !window.playground.status.playing", null, new() { Timeout = 180000 });
        var epochs = await page.EvaluateAsync<double[]>("() => window.playground.charts.loss.epochs");
        // The run's start (a point is the mean of its group of epochs), not the last 5,000 epochs, which would start at 1,000.
        Assert.True(epochs[0] < 20, $"first point at epoch {epochs[0]}");
        Assert.Equal(6000, epochs[^1]);
        Assert.InRange(epochs.Length, 100, 502);
        Assert.Equal(epochs.Order(), epochs);
        var xTicks = await page.EvaluateAsync<double[]>("() => window.playground.charts.loss.ticks.x");
        Assert.Contains(2000, xTicks);
        Assert.NotEmpty(await page.EvaluateAsync<string[]>("() => window.playground.charts.loss.ticks.y"));
        // The drop is in view: the first loss is well above the last.
        var train = await page.EvaluateAsync<double[]>("() => window.playground.charts.loss.train");
        Assert.True(train[0] > 2 * train[^1], $"{train[0]} → {train[^1]}");

        await page.Locator("#loss-chart").HoverAsync(new() { Position = new() { X = 150, Y = 70 } });
        var tip = page.Locator("#loss-chart + .chart-tip");
        Assert.Matches(@"^epoch \d+: training loss [\d.e-]+, test loss [\d.e-]+$", await tip.TextContentAsync());
        Assert.True(await tip.IsVisibleAsync());

        await page.CheckAsync("#loss-log");
        Assert.Contains("lossLog=true", page.Url);
        Assert.Contains(await page.EvaluateAsync<string[]>("() => window.playground.charts.loss.ticks.y"), label => label.StartsWith("10", StringComparison.Ordinal) || label.Contains('·'));
        await BrowserFixture.ScreenshotAsync(page, "charts-whole-run");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task The_gradient_flow_chart_shows_layer_one_orders_of_magnitude_below_the_output_in_six_sigmoid_layers()
    {
        var (page, errors) = await browser.NewPageAsync();
        await page.ClickAsync("#preset-vanishing");
        await page.WaitForFunctionAsync("() => window.playground?.config?.hidden.length === 6 && window.playground.snapshot !== null");
        await page.SelectOptionAsync("#speed", "max");
        await page.FillAsync("#stop-at", "100");
        await page.DispatchEventAsync("#stop-at", "change");
        await page.WaitForFunctionAsync("() => window.playground.status.stopAt === 100");
        await page.ClickAsync("#play");
        await page.WaitForFunctionAsync("() => window.playground.snapshot.epoch === 100 && !window.playground.status.playing", null, new() { Timeout = 120000 });
        var names = await page.EvaluateAsync<string[]>("() => window.playground.charts.gradient.layers.map(l => l.name)");
        Assert.Equal(["layer 1", "layer 2", "layer 3", "layer 4", "layer 5", "layer 6", "output"], names);
        var last = await page.EvaluateAsync<double[]>("() => window.playground.charts.gradient.layers.map(l => l.values.at(-1))");
        Assert.True(last[0] < last[^1] / 100, string.Join(", ", last));
        Assert.Equal(last.Min(), last[0]);
        // The smoothed lines are what is drawn: no epoch's line jumps by a factor of 10 from one point to the next.
        var first = await page.EvaluateAsync<double[]>("() => window.playground.charts.gradient.layers[0].values");
        Assert.All(first.Zip(first.Skip(1)), pair => Assert.InRange(pair.Second / pair.First, 0.1d, 10d));
        var yLabels = await page.EvaluateAsync<string[]>("() => window.playground.charts.gradient.ticks.y");
        Assert.Contains(yLabels, label => label.StartsWith("10⁻", StringComparison.Ordinal));
        await page.Locator("#grad-chart").HoverAsync(new() { Position = new() { X = 240, Y = 80 } });
        Assert.StartsWith("epoch ", await page.Locator("#grad-chart + .chart-tip").TextContentAsync());
        Assert.Contains("layer 1 ", await page.Locator("#grad-chart + .chart-tip").TextContentAsync());
        await BrowserFixture.ScreenshotAsync(page, "charts-vanishing-gradients");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
