using Microsoft.Playwright;
using Neurite.Playground;

namespace Neurite.Tests.Playground;

/// <summary>A single STEP on the page keeps to the server's trainer cap: it waits in line, says so, and runs once a trainer is free.</summary>
public class StepCapBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task A_step_waits_in_line_when_every_trainer_is_busy()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0, MaxTrainers = 1 });
        await using var other = await PlaygroundClient.ConnectAsync(server);
        await other.SendAsync("""{"type":"play"}""");
        await other.ReceiveAsync("snapshot", s => (int)s["epoch"]! >= 2);

        var (page, errors) = await browser.NewPageAsync(server: server);
        await page.ClickAsync("#step");
        await page.WaitForSelectorAsync("#queue-note:not([hidden])");
        Assert.Equal("All 1 of the server's trainers are busy: this tab is number 1 in line, and its step starts as soon as one is free.",
            await page.TextContentAsync("#queue-note"));
        Assert.Equal(0, await page.EvaluateAsync<int>("() => window.playground.snapshot.epoch"));
        await BrowserFixture.ScreenshotAsync(page, "step-in-line");

        await other.SendAsync("""{"type":"pause"}""");
        // Generous: the full suite runs this beside CPU-heavy tests on two cores, where Playwright's default 30 s ran out once.
        await page.WaitForFunctionAsync("() => window.playground.snapshot.epoch === 1 && !window.playground.status.stepping",
            null, new PageWaitForFunctionOptions { Timeout = 120_000 });
        Assert.True(await page.IsHiddenAsync("#queue-note"));
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }
}
