using GenCluster.TestSupport;
using GenCluster.Training.LanguageModel;
using GenCluster.Training.Modeling;
using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Training.Tests.Modeling;

public sealed class ModelGrowthTests : IDisposable
{
    static readonly LlamaShape Small = new(64, 32, 48, 2, 4, 2, 32);
    static readonly LlamaShape Large = Small with { HiddenSize = 64, IntermediateSize = 80, NumHiddenLayers = 5, NumAttentionHeads = 8, NumKeyValueHeads = 4 };
    static readonly long[] Ids = [0, 5, 9, 13, 21, 34, 55, 7, 1, 63, 2, 8];

    readonly string _dir = Directory.CreateTempSubdirectory("gencluster-growth-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheGrownModelComputesTheSmallModelsLogits(bool tied)
    {
        var small = Trained(Small with { TieWordEmbeddings = tied }, seed: 3);
        var dir = Export(small);
        using var grown = new LlamaCausalLm(ModelGrowth.Shape(Large with { TieWordEmbeddings = tied }, dir), new Generator(4));
        ModelGrowth.Grow(grown, dir);

        using var ids = tensor(Ids, [1, Ids.Length]);
        using var expected = small.forward(ids);
        using var actual = grown.forward(ids);
        var difference = (actual - expected).abs().max().item<float>();
        Assert.True(difference < 1e-4f, $"largest logit difference {difference}");
        small.Dispose();
    }

    [Fact]
    public void TheShippedDraftGrownToTheDefaultTargetsShapeKeepsItsLogits()
    {
        var draft = Path.Combine(Fixtures.RepoRoot, "models", "default-draft");
        var config = GenCluster.Models.Config.ModelConfig.Load(draft);
        var shape = new LlamaShape(config.VocabSize, config.HiddenSize, config.IntermediateSize, config.NumLayers, config.NumHeads,
            config.NumKvHeads, config.MaxPositions, config.RopeTheta, config.NormEps, config.TieWordEmbeddings);
        using var same = new LlamaCausalLm(shape, new Generator(1));
        ModelGrowth.Grow(same, draft); // same shape: a plain load
        using var grown = new LlamaCausalLm(ModelGrowth.Shape(shape with
        {
            HiddenSize = 4 * shape.HiddenSize, IntermediateSize = 4 * shape.IntermediateSize, NumHiddenLayers = 3 * shape.NumHiddenLayers,
            NumAttentionHeads = 4 * shape.NumAttentionHeads, NumKeyValueHeads = 4 * shape.NumKeyValueHeads,
        }, draft), new Generator(2));
        ModelGrowth.Grow(grown, draft);

        using var ids = tensor(Ids.Select(i => i * 61L).ToArray(), [1, Ids.Length]);
        using var expected = same.forward(ids);
        using var actual = grown.forward(ids);
        var difference = (actual - expected).abs().max().item<float>();
        Assert.True(difference < 1e-4f, $"largest logit difference {difference}");
        Assert.Equal(expected.argmax(-1).data<long>().ToArray(), actual.argmax(-1).data<long>().ToArray());
    }

    [Fact]
    public void EveryZeroInitialisedBlockGetsAGradientAtTheFirstStep()
    {
        var small = Trained(Small, seed: 5);
        using var grown = new LlamaCausalLm(Large, new Generator(6));
        ModelGrowth.Grow(grown, Export(small));
        small.Dispose();
        using var ids = tensor(Ids, [1, Ids.Length]);
        using var logits = grown.forward(ids);
        using var loss = nn.functional.cross_entropy(logits[0, ..^1], tensor(Ids[1..]));
        loss.backward();
        var weights = grown.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var newLayer = Enumerable.Range(0, Large.NumHiddenLayers).First(l => !ModelGrowth.Placement(2, 5).Contains(l));
        foreach (var name in new[] { $"model.layers.{newLayer}.self_attn.o_proj.weight", $"model.layers.{newLayer}.mlp.down_proj.weight" })
        {
            Assert.Equal(0f, weights[name].abs().max().item<float>());
            Assert.True(weights[name].grad!.abs().max().item<float>() > 0, name + " gets no gradient");
        }
        // The new residual dimensions: zero in the embedding, written by the old layers' o_proj rows once they learn.
        using var newColumns = weights["model.embed_tokens.weight"].narrow(1, Small.HiddenSize, Large.HiddenSize - Small.HiddenSize);
        Assert.Equal(0f, newColumns.abs().max().item<float>());
        using var newRows = weights["model.layers.0.self_attn.o_proj.weight"].grad!.narrow(0, Small.HiddenSize, Large.HiddenSize - Small.HiddenSize);
        Assert.True(newRows.abs().max().item<float>() > 0);
    }

    public static TheoryData<string, string> Refusals => new()
    {
        { "narrower", "hidden_size 16 < the source's 32" },
        { "other groups", "query heads per key/value head: 2 in the source, 4 in the new model" },
        { "other head width", "head_dim 8 differs from the new model's 16" },
        { "other vocabulary", "vocab_size 64 differs from the tokenizer's 128" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void AShapeTheSourceCannotGrowIntoIsRefusedWithTheFieldNamed(string change, string message)
    {
        var small = Trained(Small, seed: 7);
        var dir = Export(small);
        small.Dispose();
        var shape = change switch
        {
            "narrower" => Small with { HiddenSize = 16, NumAttentionHeads = 2, NumKeyValueHeads = 1 },
            "other groups" => Small with { HiddenSize = 64, NumAttentionHeads = 8, NumKeyValueHeads = 2 },
            "other head width" => Small with { HiddenSize = 64 },
            _ => Small with { VocabSize = 128 },
        };
        using var model = new LlamaCausalLm(shape);
        var error = Assert.Throws<ArgumentException>(() => ModelGrowth.Grow(model, dir));
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void OldLayersKeepTheirOrderSpreadAmongTheNewOnes()
    {
        Assert.Equal([0, 3], ModelGrowth.Placement(2, 6));
        Assert.Equal([0, 2, 4, 6], ModelGrowth.Placement(4, 8));
        Assert.Equal([0, 1, 2], ModelGrowth.Placement(3, 3));
    }

    /// <summary>A small model with random weights and random (not unit) norm weights, as training leaves them.</summary>
    static LlamaCausalLm Trained(LlamaShape shape, int seed)
    {
        var model = new LlamaCausalLm(shape, new Generator((ulong)seed));
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed + 100);
        foreach (var (name, p) in model.named_parameters())
            if (name.EndsWith("norm.weight", StringComparison.Ordinal)) p.copy_(rand(p.shape, generator: generator) + 0.5);
            else p.mul_(25); // hidden states of RMS ~1, as in a trained model
        return model;
    }

    string Export(LlamaCausalLm model)
    {
        var tokenizer = Directory.CreateDirectory(Path.Combine(_dir, "tokenizer")).FullName;
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" }) File.WriteAllText(Path.Combine(tokenizer, file), "{}");
        var output = Path.Combine(_dir, "small");
        HfExport.Write(model, tokenizer, output, ScalarType.Float32);
        return output;
    }
}
