using Neurite.Playground;

namespace Neurite.Tests.Playground;

/// <summary>Pacing on the page: the default speed a person can watch, a stop at a chosen epoch, the clock, hidden tabs and the line for trainers.</summary>
public class PacingBrowserTests(BrowserFixture browser) : IClassFixture<BrowserFixture>
{
    [Fact]
    public async Task At_the_default_speed_two_seconds_of_play_advance_fewer_than_200_epochs()
    {
        var (page, errors) = await browser.NewPageAsync();
        Assert.Equal("60", await page.InputValueAsync("#speed"));
        await page.ClickAsync("#play");
        await page.WaitForFunctionAsync("() => window.playground.status.playing");
        await page.WaitForTimeoutAsync(2000);
        await page.ClickAsync("#play");
        await page.WaitForFunctionAsync("() => !window.playground.status.playing");
        int epochs = await page.EvaluateAsync<int>("() => window.playground.status.epoch");
        Assert.InRange(epochs, 1, 199);
        double elapsed = await page.EvaluateAsync<double>("() => window.playground.status.elapsed");
        Assert.True(elapsed > 0);
        Assert.StartsWith("t = ", await page.TextContentAsync("#clock"));
        await BrowserFixture.ScreenshotAsync(page, "pacing-default");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task Play_stops_at_the_chosen_epoch_at_full_speed_and_the_url_keeps_both()
    {
        var (page, errors) = await browser.NewPageAsync();
        await page.SelectOptionAsync("#speed", "max");
        await page.FillAsync("#stop-at", "300");
        await page.DispatchEventAsync("#stop-at", "change");
        await page.WaitForFunctionAsync("() => window.playground.status.stopAt === 300 && window.playground.status.epochsPerSecond === null");
        Assert.Contains("speed=max", page.Url);
        Assert.Contains("stopAt=300", page.Url);
        await page.ClickAsync("#play");
        await page.WaitForFunctionAsync("() => window.playground.snapshot.epoch === 300 && !window.playground.status.playing", null, new() { Timeout = 60000 });
        Assert.Equal("000,300", await page.TextContentAsync("#epoch"));
        Assert.Equal("▶", await page.TextContentAsync("#play"));
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_hidden_tab_pauses_and_resumes_when_seen_again()
    {
        var (page, errors) = await browser.NewPageAsync();
        await page.ClickAsync("#play");
        await page.WaitForFunctionAsync("() => window.playground.status.playing");
        await page.EvaluateAsync("""
            () => { Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
                    document.dispatchEvent(new Event('visibilitychange')); }
            """);
        await page.WaitForFunctionAsync("() => !window.playground.status.playing");
        Assert.Equal(0, browser.Server.PlayingCount);
        await page.EvaluateAsync("""
            () => { Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
                    document.dispatchEvent(new Event('visibilitychange')); }
            """);
        await page.WaitForFunctionAsync("() => window.playground.status.playing");
        await page.ClickAsync("#play");
        Assert.Empty(errors);
        await page.Context.CloseAsync();
    }

    [Fact]
    public async Task A_tab_beyond_the_trainer_cap_says_it_waits_in_line()
    {
        await using var server = await PlaygroundServer.StartAsync(new PlaygroundOptions { Port = 0, MaxTrainers = 1 });
        var (first, firstErrors) = await browser.NewPageAsync("", server);
        var (second, secondErrors) = await browser.NewPageAsync("", server);
        await first.ClickAsync("#play");
        await first.WaitForFunctionAsync("() => window.playground.status.playing && window.playground.status.queued === 0");
        await second.ClickAsync("#play");
        await second.WaitForFunctionAsync("() => window.playground.status.queued === 1");
        Assert.True(await second.IsVisibleAsync("#queue-note"));
        Assert.Contains("number 1 in line", await second.TextContentAsync("#queue-note"));
        Assert.Equal(1, server.TrainingCount);
        await BrowserFixture.ScreenshotAsync(second, "pacing-queued");
        await first.ClickAsync("#play");
        await second.WaitForFunctionAsync("() => window.playground.status.playing && window.playground.status.queued === 0 && window.playground.snapshot.epoch > 0");
        Assert.True(await second.IsHiddenAsync("#queue-note"));
        await second.ClickAsync("#play");
        Assert.Empty(firstErrors);
        Assert.Empty(secondErrors);
        await first.Context.CloseAsync();
        await second.Context.CloseAsync();
    }
}
