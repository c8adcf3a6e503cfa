using Microsoft.Playwright;

namespace Neurite.Tests.Playground;

public class ControlsBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static Task<string> HeatmapPixelsAsync(IPage page) => page.EvaluateAsync<string>("() => document.getElementById('heatmap').toDataURL()");

    [Fact]
    public async Task MultiClassBlobsTrainWithSoftmaxAccuracyAndAConfusionMatrix()
    {
        var (page, errors) = await browser.NewPageAsync();
        await page.SelectOptionAsync("#problem", "multiclass");
        await page.WaitForFunctionAsync("() => window.playground.config.problem === 'multiclass' && window.playground.config.dataset === 'blobs'");
        await page.FillAsync("#classes", "4");
        await page.DispatchEventAsync("#classes", "change");
        await page.WaitForFunctionAsync("() => window.playground.snapshot.confusion && window.playground.snapshot.confusion.length === 4");
        Assert.Equal(4, await page.Locator(".node.output").CountAsync());
        Assert.Equal("softmax", await page.Locator(".layer-title").Last.TextContentAsync());
        await page.SelectOptionAsync("#optimizer", "adam");
        await page.WaitForFunctionAsync("() => window.playground.config.optimizer === 'adam'");
        await page.ClickAsync("#play");
        await page.WaitForFunctionAsync("() => window.playground.snapshot.testAccuracy > 0.9", null, new() { Timeout = 30000 });
        await page.ClickAsync("#play");
        Assert.Equal(16, await page.Locator("#confusion td").CountAsync());
        Assert.EndsWith("%", await page.TextContentAsync("#test-accuracy"));
        await BrowserFixture.ScreenshotAsync(page, "multiclass");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task ThePresetsAreLinksThatSetUpTheirLesson()
    {
        var (page, errors) = await browser.NewPageAsync();
        foreach (string preset in new[] { "relu-he", "zeros", "linear", "spirals", "features", "vanishing" })
        {
            string href = await page.GetAttributeAsync($"#preset-{preset}", "href") ?? "";
            await page.ClickAsync($"#preset-{preset}");
            // Consecutive presets differ in their hidden layers, so this waits for the new page's setup.
            string hidden = System.Web.HttpUtility.ParseQueryString(href)["hidden"]!;
            await page.WaitForFunctionAsync($"() => window.playground?.config?.hidden.join(',') === '{hidden}' && window.playground.snapshot !== null");
        }
        Assert.Equal("sigmoid", await page.InputValueAsync("#activation"));
        // The last one: in six sigmoid layers the first layer's gradient is a small fraction of the last one's.
        await page.ClickAsync("#step");
        await page.ClickAsync("#step");
        await page.WaitForFunctionAsync("() => window.playground.history.view().filter(p => p.grads.length).length >= 2");
        var norms = await page.EvaluateAsync<double[]>("() => window.playground.history.view().at(-1).grads");
        Assert.Equal(7, norms.Length);
        Assert.True(norms[0] < norms[^1] / 100, string.Join(", ", norms));
        await BrowserFixture.ScreenshotAsync(page, "vanishing-gradients");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task RegressionOnTheMultiGaussianLearns()
    {
        var (page, errors) = await browser.NewPageAsync("?problem=regression&dataset=multi-gaussian&hidden=8,8&optimizer=adam&learningRate=0.01&showTest=true");
        Assert.True(await page.IsHiddenAsync("#accuracy-row"));
        Assert.True(await page.IsHiddenAsync("#confusion-wrap"));
        Assert.Equal(2, await page.Locator("#datasets button:not(#dataset-custom)").CountAsync());
        double initial = await page.EvaluateAsync<double>("() => window.playground.snapshot.testLoss");
        await page.ClickAsync("#play");
        await page.WaitForFunctionAsync($"() => window.playground.snapshot.testLoss < {initial / 3}", null, new() { Timeout = 60000 });
        await page.ClickAsync("#play");
        await BrowserFixture.ScreenshotAsync(page, "regression");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task DiscretizeRegenerateResetAndTheRestOfTheControls()
    {
        var (page, errors) = await browser.NewPageAsync("?dataset=xor");
        await page.ClickAsync("#step");
        await page.WaitForFunctionAsync("() => window.playground.snapshot.epoch === 1");

        // Discretize: only the two end colours remain.
        string smooth = await HeatmapPixelsAsync(page);
        await page.CheckAsync("#discretize");
        Assert.NotEqual(smooth, await HeatmapPixelsAsync(page));
        var colours = await page.EvaluateAsync<string[]>("""
            () => { const d = document.getElementById('heatmap').getContext('2d').getImageData(0, 0, 32, 32).data;
                    const s = new Set(); for (let i = 0; i < d.length; i += 4) s.add(`${d[i]},${d[i + 1]},${d[i + 2]}`); return [...s]; }
            """);
        Assert.Subset(new HashSet<string> { "245,147,34", "8,119,189", "232,234,235" }, colours.ToHashSet());
        Assert.Contains("discretize=true", page.Url);

        // Regenerate: new points from a new seed, recorded in the URL.
        string before = await page.EvaluateAsync<string>("() => JSON.stringify(window.playground.data.train)");
        await page.ClickAsync("#regenerate");
        await page.WaitForFunctionAsync("() => window.playground.config.seed === 2");
        Assert.NotEqual(before, await page.EvaluateAsync<string>("() => JSON.stringify(window.playground.data.train)"));
        Assert.Contains("seed=2", page.Url);

        // Reset: back to epoch 0 with new weights.
        await page.ClickAsync("#step");
        await page.WaitForFunctionAsync("() => window.playground.snapshot.epoch === 1");
        string weights = await page.EvaluateAsync<string>("() => JSON.stringify(window.playground.snapshot.weights)");
        await page.ClickAsync("#reset");
        await page.WaitForFunctionAsync("() => window.playground.snapshot.epoch === 0");
        Assert.Equal("000,000", await page.TextContentAsync("#epoch"));
        Assert.NotEqual(weights, await page.EvaluateAsync<string>("() => JSON.stringify(window.playground.snapshot.weights)"));

        // Zoom: the diagram scales and its links still answer the mouse.
        await page.ClickAsync("#zoom-in");
        await page.ClickAsync("#zoom-in");
        Assert.Equal("150%", await page.TextContentAsync("#zoom-level"));
        Assert.Equal("scale(1.5)", await page.EvalOnSelectorAsync<string>("#network", "n => n.style.transform"));
        await page.HoverAsync("#link-0-0-0", new() { Force = true });
        Assert.StartsWith("Weight is ", await page.TextContentAsync("#tooltip"));
        await page.ClickAsync("#zoom-out");
        Assert.Equal("125%", await page.TextContentAsync("#zoom-level"));

        // Sliders, selects and checkboxes reach the server.
        await page.FillAsync("#noise", "25");
        await page.DispatchEventAsync("#noise", "change");
        await page.SelectOptionAsync("#dropout", "0.2");
        await page.CheckAsync("#batchNorm");
        await page.SelectOptionAsync("#init", "zeros");
        await page.SelectOptionAsync("#schedule", "cosine");
        await page.SelectOptionAsync("#regularization", "l1");
        await page.WaitForFunctionAsync("""
            () => { const c = window.playground.config;
                    return c.noise === 25 && c.dropout === 0.2 && c.batchNorm && c.init === 'zeros' && c.schedule === 'cosine' && c.regularization === 'l1'; }
            """);
        Assert.True(await page.IsVisibleAsync("#init-note"));
        await page.ClickAsync("#play");
        await page.WaitForFunctionAsync("() => window.playground.snapshot.epoch > 3 && window.playground.history.view().filter(p => p.grads.length).length > 3");
        await page.ClickAsync("#play");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
