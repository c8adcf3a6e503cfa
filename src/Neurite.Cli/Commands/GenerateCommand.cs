using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Neurite.Training;

namespace Neurite.Cli.Commands;

/// <summary>
/// <c>neurite generate MODEL --prompt TEXT</c>: continues the prompt with a character-level language model (a model
/// trained on a text:PATH,seq=N source), sampling with a temperature and top-k from a seeded generator.
/// </summary>
internal static class GenerateCommand
{
    public static Command Build(Terminal console)
    {
        var model = new Argument<string>("MODEL") { Description = "a language model file written by neurite train on a text:PATH,seq=N source" };
        var prompt = new Option<string>("--prompt") { Description = "the text to continue (its characters must be in the model's vocabulary)", Required = true };
        var length = new Option<int>("--length") { Description = "characters to write (default 200)", DefaultValueFactory = _ => 200 };
        var temperature = new Option<double>("--temperature")
        {
            Description = "divides the logits: below 1 is more conservative, above 1 more varied; 0 is greedy (always the most likely character); default 1",
            DefaultValueFactory = _ => 1.0,
        };
        var topK = new Option<int?>("--top-k") { Description = "sample among the k most likely characters only" };
        var seed = new Option<ulong>("--seed") { Description = "seed of the sampling: the same seed writes the same text (default 0)" };
        var json = new Option<bool>("--json") { Description = "print one JSON object as the last line" };
        var command = new Command("generate", "write text with a character-level language model") { model, prompt, length, temperature, topK, seed, json };
        command.SetAction(parse => Run(console, parse.GetRequiredValue(model), parse.GetRequiredValue(prompt),
            new GenerationOptions(parse.GetValue(length), parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(seed)), parse.GetValue(json)));
        return command;
    }

    private static int Run(Terminal console, string modelPath, string prompt, GenerationOptions options, bool json)
    {
        var generator = TextGenerator.From(TrainedModel.Load(modelPath), modelPath);
        var clock = Stopwatch.StartNew();
        string text = generator.Generate(prompt, options);
        double seconds = clock.Elapsed.TotalSeconds;
        if (json)
        {
            int characters = Data.TextData.Characters(text).Length;
            console.Out.WriteLine(new JsonObject
            {
                ["prompt"] = prompt,
                ["text"] = text,
                ["characters"] = characters,
                ["seconds"] = Math.Round(seconds, 3),
                ["characters_per_second"] = Math.Round(characters / Math.Max(seconds, 1e-9), 1),
                ["stateful"] = generator.Stateful,
            }.ToJsonString());
        }
        else
        {
            console.Out.WriteLine(prompt + text);
        }
        return 0;
    }
}
