namespace Neurite.Tests.Playground;

/// <summary>Resolution: the 100×100 output heat map with axes, tick labels on every plot, clear menus, one control row from 1280 px.</summary>
public class ResolutionBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task The_output_heat_map_is_100_by_100_with_axes_over_the_data_and_every_plot_has_tick_labels()
    {
        var (page, errors) = await browser.NewPageAsync("?dataset=xor");
        await page.ClickAsync("#step");
        await page.WaitForFunctionAsync("() => window.playground.snapshot.epoch === 1");
        Assert.Equal(100, await page.EvaluateAsync<int>("() => document.getElementById('heatmap').width"));
        Assert.Equal(100, await page.EvaluateAsync<int>("() => window.playground.snapshot.output.size"));
        // The axes span the data: −6 … 6 on both.
        var x = await page.EvaluateAsync<double[]>("() => document.getElementById('heatmap-axes').ticks.x");
        var y = await page.EvaluateAsync<string[]>("() => document.getElementById('heatmap-axes').ticks.y");
        Assert.Equal(-6, x.Min());
        Assert.Equal(6, x.Max());
        Assert.Contains("-6", y);
        Assert.Contains("6", y);
        // The lessons' plots have tick values too, as do the charts.
        await page.ClickAsync("#perceptron-run");
        await page.ClickAsync("#approx-run");
        await page.WaitForFunctionAsync("() => document.getElementById('approx-chart').ticks && document.getElementById('perceptron-chart').ticks && document.getElementById('activation-chart').ticks", null, new() { Timeout = 30000 });
        foreach (string plot in new[] { "activation-chart", "perceptron-chart", "approx-chart" })
        {
            Assert.True(await page.EvaluateAsync<int>($"() => document.getElementById('{plot}').ticks.x.length") >= 3, plot);
            Assert.True(await page.EvaluateAsync<int>($"() => document.getElementById('{plot}').ticks.y.length") >= 3, plot);
        }
        await BrowserFixture.ScreenshotAsync(page, "resolution-heatmap");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Menus_name_what_they_choose_and_the_controls_fit_one_row_at_1280_px()
    {
        var (page, errors) = await browser.NewPageAsync("?activation=relu&hidden=4,2&layerActivations=,sigmoid");
        Assert.Equal("ReLU (all layers)", await page.EvalOnSelectorAsync<string>("#layer-activation-0", "s => s.selectedOptions[0].text"));
        Assert.Equal("Sigmoid", await page.EvalOnSelectorAsync<string>("#layer-activation-1", "s => s.selectedOptions[0].text"));
        var texts = await page.EvaluateAsync<string[]>("() => [...document.querySelectorAll('select option')].map(o => o.text)");
        Assert.DoesNotContain(texts, t => t.Contains("(same)", StringComparison.Ordinal) || t.Length == 0);

        foreach (int width in new[] { 1280, 1600 })
        {
            await page.SetViewportSizeAsync(width, 900);
            var tops = await page.EvaluateAsync<double[]>("() => [...document.querySelectorAll('.controls > *')].filter(e => !e.hidden).map(e => e.getBoundingClientRect().top)");
            var bottoms = await page.EvaluateAsync<double[]>("() => [...document.querySelectorAll('.controls > *')].filter(e => !e.hidden).map(e => e.getBoundingClientRect().bottom)");
            // One row: every control overlaps the first one's height band, and nothing runs past the right edge.
            Assert.True(tops.Max() < bottoms.Min(), $"{width} px: controls on more than one row (tops {string.Join(", ", tops)})");
            string widths = await page.EvaluateAsync<string>("() => [...document.querySelectorAll('.controls > *')].map(e => `${e.querySelector('label')?.textContent ?? e.className} ${Math.round(e.getBoundingClientRect().width)}`).join(', ')");
            Assert.True(await page.EvaluateAsync<bool>("() => { const c = document.querySelector('.controls'); return c.scrollWidth <= c.clientWidth; }"), $"{width} px: the controls overflow ({widths})");
        }
        await page.SetViewportSizeAsync(1280, 900);
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ArtifactDirectory, "resolution-controls-1280.png") });
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
