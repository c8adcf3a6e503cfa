using Neurite.Data;
using Neurite.NN;
using Neurite.Serialization;
using Neurite.Tensors;
using Neurite.Training;

namespace Neurite.Tests.Serialization;

/// <summary>
/// The attention layer types in a spec (multihead_attention, transformer_encoder_layer, positional_encoding): shapes,
/// summaries, errors, and a small Transformer classifier trained through the Trainer, saved and loaded by state-dict names.
/// </summary>
public class AttentionSpecTests
{
    private const string ClassifierJson = """
        {"input": [6], "layers": [
          {"type": "embedding", "num": 5, "dim": 16},
          {"type": "positional_encoding", "kind": "learned", "max_len": 8},
          {"type": "transformer_encoder_layer", "heads": 2, "ff": 32, "dropout": 0},
          {"type": "mean_pool"},
          {"type": "linear", "out": 2}
        ], "loss": "cross_entropy", "optimizer": {"type": "adam", "lr": 0.01}}
        """;

    /// <summary>Ids 0…4; class 1 when the first id is larger than the last: the classes depend on positions.</summary>
    private static Dataset FirstAgainstLast(int count, ulong seed)
    {
        var rng = new Generator(seed);
        var ids = new float[count * 6];
        var labels = new float[count];
        for (int i = 0; i < count; i++)
        {
            for (int t = 0; t < 6; t++)
            {
                ids[i * 6 + t] = rng.NextInt(5);
            }
            labels[i] = ids[i * 6] > ids[i * 6 + 5] ? 1 : 0;
        }
        return new Dataset(Tensor.From(ids, [count, 6]), Tensor.From(labels), TaskKind.Classification);
    }

    [Fact]
    public void A_small_transformer_parses_summarizes_trains_and_reloads_by_state_dict_names()
    {
        var spec = ModelSpec.Parse(ClassifierJson);
        Assert.Equal(spec, ModelSpec.Parse(spec.ToJson()));
        Assert.Equal([[6, 16], [6, 16], [6, 16], [16], [2]], spec.OutputShapes());

        var summary = spec.Summarize();
        // embedding 5·16; learned positions 8·16; encoder: in_proj 3·16·16 + 48, out_proj 16·16 + 16, linear1 16·32 + 32,
        // linear2 32·16 + 16, two norms 2·32 (816 + 272 + 544 + 528 + 64); linear 16·2 + 2.
        Assert.Equal([80L, 128, 2224, 0, 34], summary.Layers.Select(layer => layer.Params));
        // encoder per sample: T·(4·D² + 2·T·D) + 2·T·D·ff + 4·T·D = 6·(1024 + 192) + 6144 + 384.
        Assert.Equal([0L, 0, 13824, 0, 32], summary.Layers.Select(layer => layer.MultiplyAccumulates));
        Assert.Equal("transformer_encoder_layer(heads=2, ff=32, dropout=0, activation=\"relu\", norm_first=false, causal=false)", summary.Layers[2].Description);
        Assert.Equal("positional_encoding(kind=\"learned\", max_len=8)", summary.Layers[1].Description);

        var model = spec.Build(new Generator(1));
        Assert.Equal(
            ["0.weight", "1.weight", "2.self_attn.in_proj_weight", "2.self_attn.in_proj_bias", "2.self_attn.out_proj.weight", "2.self_attn.out_proj.bias",
             "2.linear1.weight", "2.linear1.bias", "2.linear2.weight", "2.linear2.bias", "2.norm1.weight", "2.norm1.bias", "2.norm2.weight", "2.norm2.bias",
             "4.weight", "4.bias"],
            model.StateDict().Keys);

        var train = FirstAgainstLast(512, 2);
        var test = FirstAgainstLast(128, 3);
        var objective = spec.Loss!.Objective();
        DataPreparation.CheckOutputs(spec, train, objective);
        var trainer = new Trainer(model, objective, spec.Optimizer!.Build(model.Parameters()));
        double before = trainer.Evaluate(test).Loss;
        var fit = trainer.Fit(new DataLoader(train, 32, shuffle: true, seed: 4), test, 12);
        var after = trainer.Evaluate(test);
        Assert.Equal(StopReason.Completed, fit.Reason);
        Assert.True(after.Loss < before / 2, $"loss {before} → {after.Loss}");
        Assert.True(after.Classification!.Accuracy > 0.85, $"accuracy {after.Classification.Accuracy}");

        string path = Path.Combine(Path.GetTempPath(), $"neurite-transformer-{Guid.NewGuid():N}.safetensors");
        try
        {
            ModelFile.Save(path, model, spec);
            var loaded = ModelFile.Load(path);
            Assert.Equal(spec, loaded.Spec);
            Assert.Equal(model.StateDict().Keys, loaded.Module.StateDict().Keys);
            Assert.Equal(trainer.Predict(test.Features).ToArray(), new Trainer(loaded.Module, objective).Predict(test.Features).ToArray());
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Fields_default_as_pytorch_and_round_trip()
    {
        var spec = ModelSpec.Parse("""
            {"input": [10, 8], "layers": [
              {"type": "positional_encoding"},
              {"type": "multihead_attention", "heads": 4},
              {"type": "transformer_encoder_layer", "heads": 2, "ff": 16},
              {"type": "multihead_attention", "heads": 1, "causal": true, "dropout": 0.2},
              {"type": "transformer_encoder_layer", "heads": 8, "ff": 4, "dropout": 0, "activation": "gelu", "norm_first": true, "causal": true}
            ]}
            """);
        Assert.Equal(new PositionalEncodingSpec("sinusoidal", 512), spec.Layers[0]);
        Assert.Equal(new MultiheadAttentionSpec(4, false, 0), spec.Layers[1]);
        Assert.Equal(new TransformerEncoderLayerSpec(2, 16, 0.1, "relu", false, false), spec.Layers[2]);
        Assert.Equal(new MultiheadAttentionSpec(1, true, 0.2), spec.Layers[3]);
        Assert.Equal(new TransformerEncoderLayerSpec(8, 4, 0, "gelu", true, true), spec.Layers[4]);
        Assert.Equal(spec, ModelSpec.Parse(spec.ToJson()));
        Assert.All(spec.OutputShapes(), shape => Assert.Equal([10, 8], shape));

        var model = spec.Build(new Generator(5));
        var children = model.NamedChildren().Select(child => child.Value).ToArray();
        Assert.IsType<SinusoidalPositionalEncoding>(children[0]);
        Assert.Equal((4, false, 0f), (((MultiheadAttention)children[1]).NumHeads, ((MultiheadAttention)children[1]).Causal, ((MultiheadAttention)children[1]).Dropout));
        var last = (TransformerEncoderLayer)children[4];
        Assert.Equal(("gelu", true, true, 4), (last.Activation, last.NormFirst, last.Causal, last.Linear1.OutFeatures));
        // 2 samples through the whole chain.
        Assert.Equal([2, 10, 8], model.Call(Tensor.Uniform([2, 10, 8], -1f, 1f, new Generator(6))).Shape.ToArray());
        // multihead_attention: 4·D² + 4·D parameters; T·(4·D² + 2·T·D) MACs.
        Assert.Equal(288, spec.Summarize().Layers[1].Params);
        Assert.Equal(10 * (4 * 64 + 2 * 10 * 8), spec.Summarize().Layers[1].MultiplyAccumulates);
    }

    public static TheoryData<string, string> Errors => new()
    {
        { """{"input": [6, 8], "layers": [{"type": "multihead_attention", "heads": 0}]}""", "layers[0].heads: expected a positive integer, got 0" },
        { """{"input": [6, 8], "layers": [{"type": "multihead_attention", "heads": 3}]}""", "layers[0].heads: 8 features do not split into 3 heads; heads must divide the features of the input [6, 8]" },
        { """{"input": [6, 8], "layers": [{"type": "multihead_attention"}]}""", "layers[0].heads: missing; expected a positive integer" },
        { """{"input": [8], "layers": [{"type": "multihead_attention", "heads": 2}]}""", "layers[0]: multihead_attention takes a sequence [steps, features] per sample, got [8]" },
        { """{"input": [6, 8], "layers": [{"type": "multihead_attention", "heads": 2, "dropout": 1}]}""", "layers[0].dropout: expected a number in [0, 1), got 1" },
        { """{"input": [6, 8], "layers": [{"type": "transformer_encoder_layer", "heads": 0, "ff": 16}]}""", "layers[0].heads: expected a positive integer, got 0" },
        { """{"input": [6, 8], "layers": [{"type": "transformer_encoder_layer", "heads": 2, "ff": 0}]}""", "layers[0].ff: expected a positive integer, got 0" },
        { """{"input": [6, 8], "layers": [{"type": "transformer_encoder_layer", "heads": 2}]}""", "layers[0].ff: missing; expected a positive integer" },
        { """{"input": [6, 10], "layers": [{"type": "transformer_encoder_layer", "heads": 4, "ff": 16}]}""", "layers[0].heads: 10 features do not split into 4 heads; heads must divide the features of the input [6, 10]" },
        { """{"input": [2, 6, 8], "layers": [{"type": "transformer_encoder_layer", "heads": 2, "ff": 16}]}""", "layers[0]: transformer_encoder_layer takes a sequence [steps, features] per sample, got [2, 6, 8]" },
        { """{"input": [6, 8], "layers": [{"type": "transformer_encoder_layer", "heads": 2, "ff": 16, "activation": "tanh"}]}""", "layers[0].activation: unknown activation \"tanh\"; known: relu, gelu" },
        { """{"input": [600, 8], "layers": [{"type": "positional_encoding"}]}""", "layers[0].max_len: 512 positions are fewer than the 600 steps of the input [600, 8]" },
        { """{"input": [6, 8], "layers": [{"type": "positional_encoding", "kind": "learned", "max_len": 5}]}""", "layers[0].max_len: 5 positions are fewer than the 6 steps of the input [6, 8]" },
        { """{"input": [6, 7], "layers": [{"type": "positional_encoding"}]}""", "layers[0].kind: sinusoidal needs an even number of features (sin and cos alternate), got 7 in the input [6, 7]" },
        { """{"input": [6], "layers": [{"type": "positional_encoding", "kind": "learned"}]}""", "layers[0]: positional_encoding takes a sequence [steps, features] per sample, got [6]" },
        { """{"input": [6, 8], "layers": [{"type": "positional_encoding", "kind": "rotary"}]}""", "layers[0].kind: unknown positional encoding \"rotary\"; known: sinusoidal, learned" },
        { """{"input": [6, 8], "layers": [{"type": "positional_encoding", "max_len": 0}]}""", "layers[0].max_len: expected a positive integer, got 0" },
    };

    [Theory]
    [MemberData(nameof(Errors))]
    public void Each_error_names_the_json_path_and_the_sizes(string json, string message)
    {
        var e = Assert.Throws<ModelSpecException>(() => ModelSpec.Parse(json));
        Assert.True(e.Message.StartsWith(message, StringComparison.Ordinal), $"got \"{e.Message}\"");
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Odd_features_suit_a_learned_encoding()
    {
        var spec = ModelSpec.Parse("""{"input": [6, 7], "layers": [{"type": "positional_encoding", "kind": "learned", "max_len": 6}]}""");
        Assert.Equal(42, spec.Summarize().TotalParams);
    }
}
