using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Playwright;

namespace Neurite.Tests.Playground;

public class CustomDataBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    private static Task<int> PointCountAsync(IPage page) =>
        page.EvaluateAsync<int>("() => window.playground.data.train.length + window.playground.data.test.length");

    [Fact]
    public async Task PointsAreAddedByClickingRemovedByShiftClickingAndUploadedAsCsv()
    {
        var (page, errors) = await browser.NewPageAsync();
        await page.ClickAsync("#dataset-custom");
        await page.WaitForSelectorAsync("#custom-controls:not([hidden])");
        Assert.Equal(0, await PointCountAsync(page));

        await page.ClickAsync("#points", new() { Position = new() { X = 50, Y = 50 } });
        await page.WaitForFunctionAsync("() => window.playground.custom.length === 1");
        await page.SelectOptionAsync("#draw-label", "-1");
        await page.ClickAsync("#points", new() { Position = new() { X = 250, Y = 250 } });
        await page.ClickAsync("#points", new() { Position = new() { X = 240, Y = 260 } });
        await page.WaitForFunctionAsync("() => window.playground.custom.length === 3");
        var points = await page.EvaluateAsync<double[][]>("() => window.playground.custom.slice().sort((a, b) => a[0] - b[0])");
        // (50, 50) of 300 px is about (−4, 4); its label was +1.
        Assert.Equal(-4, points[0][0], 0.1);
        Assert.Equal(4, points[0][1], 0.1);
        Assert.Equal(1, points[0][2]);
        Assert.Equal(-1, points[2][2]);
        await page.ClickAsync("#points", new() { Position = new() { X = 52, Y = 52 }, Modifiers = [KeyboardModifier.Shift] });
        await page.WaitForFunctionAsync("() => window.playground.custom.length === 2");
        Assert.DoesNotContain(await page.EvaluateAsync<double[][]>("() => window.playground.custom"), p => p[2] == 1);

        var csv = "x1,x2,label\n" + string.Join("\n", Enumerable.Range(0, 60).Select(i => $"{(i % 2 == 0 ? -3 : 3)},{(i % 9) - 4},{(i % 2 == 0 ? -1 : 1)}"));
        await page.SetInputFilesAsync("#csv-file", new FilePayload { Name = "mine.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes(csv) });
        await page.WaitForFunctionAsync("() => window.playground.custom.length === 60");
        // The points come back out as CSV that reads in again.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("#download-points"));
        var lines = (await File.ReadAllLinesAsync((await download.PathAsync())!)).ToList();
        Assert.Equal("x1,x2,label", lines[0]);
        Assert.Equal(61, lines.Count);
        Assert.Equal(
            csv.Split('\n').Skip(1).Select(l => l.Split(',').Select(double.Parse).ToArray()).OrderBy(p => (p[0], p[1], p[2])).Select(p => string.Join(",", p)),
            lines.Skip(1).Select(l => l.Split(',').Select(double.Parse).ToArray()).OrderBy(p => (p[0], p[1], p[2])).Select(p => string.Join(",", p)));
        await page.ClickAsync("#play");
        await page.WaitForFunctionAsync("() => window.playground.snapshot.testAccuracy === 1", null, new() { Timeout = 30000 });
        await page.ClickAsync("#play");
        await BrowserFixture.ScreenshotAsync(page, "custom-data");

        await page.SetInputFilesAsync("#csv-file", new FilePayload { Name = "bad.csv", MimeType = "text/csv", Buffer = Encoding.UTF8.GetBytes("1,1,1\n2,2,7\n") });
        await page.WaitForSelectorAsync("#error:not([hidden])");
        Assert.Equal("CSV line 2: the label must be 1 or -1 for classification; got 7", await page.TextContentAsync("#error-text"));
        Assert.Equal(60, await PointCountAsync(page)); // the good data stays
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task TheTrainedModelIsExportedAsAModelFileAndAsJson()
    {
        var (page, errors) = await browser.NewPageAsync("?hidden=3&activation=relu");
        await page.ClickAsync("#step");
        await page.WaitForFunctionAsync("() => window.playground.snapshot.epoch === 1");
        var downloads = new List<Microsoft.Playwright.IDownload>();
        page.Download += (_, download) =>
        {
            lock (downloads)
            {
                downloads.Add(download);
            }
        };
        await page.ClickAsync("#export");
        for (int i = 0; i < 100 && downloads.Count < 2; i++)
        {
            await Task.Delay(50);
        }
        Assert.Equal(["neurite-playground-model.safetensors", "neurite-playground-model.json"], downloads.Select(d => d.SuggestedFilename));
        // The model file is one that neurite predict reads: a spec and weights that fit it.
        var file = Neurite.Serialization.ModelFile.Load((await downloads[0].PathAsync())!);
        Assert.Equal(3, ((Neurite.NN.Linear)((Neurite.NN.Sequential)file.Module)[0]).OutFeatures);
        var model = JsonNode.Parse(await File.ReadAllTextAsync((await downloads[1].PathAsync())!))!;
        Assert.Equal("linear", (string?)model["spec"]!["layers"]![0]!["type"]);
        Assert.Equal(1, (int)model["epochs_trained"]!);
        Assert.Null(model["safetensors"]);
        var weights = await page.EvaluateAsync<double[][][]>("() => window.playground.snapshot.weights");
        Assert.Equal(weights[0][1][0], (double)model["state_dict"]!["0.weight"]!["data"]![2]!, 6);
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
