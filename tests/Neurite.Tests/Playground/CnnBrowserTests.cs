namespace Neurite.Tests.Playground;

/// <summary>
/// The CNN view in Chromium: a gallery image or a drawing, the first layer's filters and every convolution's feature
/// maps changing as the network learns, the class probabilities as bars, the export. Its screenshot cnn-view.png is the README's docs/playground-cnn.png (copied by hand).
/// </summary>
public class CnnBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private async Task<(Microsoft.Playwright.IPage Page, List<string> Errors)> OpenAsync()
    {
        var (page, errors) = await browser.NewPageAsync();
        await page.ClickAsync("#cnn-link");
        await page.WaitForFunctionAsync("() => window.cnnView && window.cnnView.snapshot !== null && window.cnnView.gallery !== null", null, new() { Timeout = 60000 });
        return (page, errors);
    }

    [Fact]
    public async Task The_cnn_learns_while_its_filters_maps_and_probabilities_change()
    {
        var (page, errors) = await OpenAsync();
        Assert.Equal(20, await page.Locator("#gallery button").CountAsync());
        Assert.Equal(8, await page.Locator("#filters canvas").CountAsync());
        int[] mapCounts = await page.EvaluateAsync<int[]>("() => [...document.querySelectorAll('.feature-layer')].map(l => l.querySelectorAll('canvas').length)");
        Assert.Equal([8, 16], mapCounts);
        Assert.Equal(10, await page.Locator("#probabilities .bar").CountAsync());
        Assert.Contains("conv 8 5×5", await page.TextContentAsync("#network-summary"));

        // A sneaker from the gallery: what the untrained network makes of it.
        await page.ClickAsync("#gallery button[data-index='14']");
        await page.WaitForFunctionAsync("() => window.cnnView.snapshot.chosen === 14");
        Assert.Contains("Sneaker", await page.TextContentAsync("#chosen-label"));
        const string Pixels = "() => [...document.querySelectorAll('#filters canvas, .feature-layer canvas')].map(c => Array.from(c.getContext('2d').getImageData(0, 0, c.width, c.height).data).join(','))";
        var before = await page.EvaluateAsync<string[]>(Pixels);
        double accuracyBefore = await page.EvaluateAsync<double>("() => window.cnnView.snapshot.testAccuracy");

        await page.ClickAsync("#play");
        await page.WaitForFunctionAsync("() => window.cnnView.snapshot.epoch >= 6", null, new() { Timeout = 120000 });
        await page.ClickAsync("#play");
        await page.WaitForFunctionAsync("() => !window.cnnView.status.playing");
        var snapshot = await page.EvaluateAsync<System.Text.Json.JsonElement>("() => window.cnnView.snapshot");
        double accuracy = snapshot.GetProperty("testAccuracy").GetDouble();
        Assert.True(accuracy > 0.5 && accuracy > accuracyBefore + 0.25, $"test accuracy {accuracyBefore} → {accuracy}");
        var after = await page.EvaluateAsync<string[]>(Pixels);
        Assert.Equal(before.Length, after.Length);
        // The filters and the maps of both convolutions were redrawn from the trained weights.
        Assert.True(before.Zip(after).Count(p => p.First != p.Second) > after.Length / 2, "most filters and feature maps changed");
        var bars = await page.EvaluateAsync<double[]>("() => [...document.querySelectorAll('#probabilities .bar')].map(b => Number(b.dataset.probability))");
        Assert.Equal(1, bars.Sum(), 3);
        Assert.True(await page.EvaluateAsync<bool>("() => window.cnnView.train.length >= 6 && window.cnnView.test.length >= 2"));
        Assert.StartsWith("t = ", await page.TextContentAsync("#clock"));

        await page.SetViewportSizeAsync(1400, 900);
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserFixture.ArtifactDirectory, "cnn-view.png") });
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_drawing_is_what_the_network_looks_at_and_the_model_exports()
    {
        var (page, errors) = await OpenAsync();
        var box = (await page.Locator("#draw").BoundingBoxAsync())!;
        // A vertical bar, something like a trouser leg.
        await page.Mouse.MoveAsync(box.X + box.Width * 0.45f, box.Y + box.Height * 0.15f);
        await page.Mouse.DownAsync();
        for (int i = 1; i <= 10; i++)
        {
            await page.Mouse.MoveAsync(box.X + box.Width * 0.45f, box.Y + box.Height * (0.15f + 0.07f * i));
        }
        await page.Mouse.UpAsync();
        await page.WaitForFunctionAsync("() => window.cnnView.snapshot.chosen === -1");
        Assert.Equal("your drawing", await page.TextContentAsync("#chosen-label"));
        // The chosen picture is the drawing: bright down the middle column, dark in the corner.
        var pixels = await page.EvaluateAsync<int[]>("() => { const d = document.getElementById('chosen').getContext('2d').getImageData(0, 0, 28, 28).data; return [d[4 * (14 * 28 + 12)], d[0]]; }");
        Assert.True(pixels[0] > 200 && pixels[1] == 0, $"drawn pixel {pixels[0]}, corner {pixels[1]}");

        var downloads = new List<string>();
        page.Download += (_, download) => downloads.Add(download.SuggestedFilename);
        await page.ClickAsync("#export");
        await page.WaitForFunctionAsync("() => true");
        for (int i = 0; i < 100 && downloads.Count < 2; i++)
        {
            await page.WaitForTimeoutAsync(100);
        }
        Assert.Equal(["neurite-playground-cnn.safetensors", "neurite-playground-cnn.json"], downloads);
        await BrowserFixture.ScreenshotAsync(page, "cnn-drawing");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    /// <summary>The page sends the chosen pace (the session's pacing itself is PlaygroundPacingTests' to check, without a clock).</summary>
    [Fact]
    public async Task The_speed_control_sets_the_sessions_pace()
    {
        var (page, errors) = await OpenAsync();
        Assert.Equal("max", await page.InputValueAsync("#speed"));
        await page.SelectOptionAsync("#speed", "0.5");
        await page.WaitForFunctionAsync("() => window.cnnView.status.epochsPerSecond === 0.5");
        await page.ClickAsync("#play");
        await page.WaitForFunctionAsync("() => window.cnnView.snapshot.epoch >= 1", null, new() { Timeout = 60000 });
        await page.ClickAsync("#play");
        await page.WaitForFunctionAsync("() => !window.cnnView.status.playing");
        Assert.Equal(0.5, await page.EvaluateAsync<double>("() => window.cnnView.status.epochsPerSecond"));

        await page.SelectOptionAsync("#speed", "max");
        await page.WaitForFunctionAsync("() => window.cnnView.status.epochsPerSecond === null");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
