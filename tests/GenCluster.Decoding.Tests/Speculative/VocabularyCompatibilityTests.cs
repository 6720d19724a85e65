using System.Text.Json.Nodes;
using GenCluster.Decoding.Speculative;
using GenCluster.Models;
using GenCluster.Models.SafeTensors;
using GenCluster.TestSupport;
using static TorchSharp.torch;

namespace GenCluster.Decoding.Tests.Speculative;

/// <summary>A draft whose vocabulary differs from the target's is refused at construction with a clear message.</summary>
public sealed class VocabularyCompatibilityTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("vocab-check-").FullName;

    public void Dispose() => Directory.Delete(_dir, true);

    /// <summary>A llama-tiny-draft shaped model with another vocab_size and random weights.</summary>
    string ModelWithVocab(int vocab)
    {
        var dir = Path.Combine(_dir, $"vocab{vocab}");
        Directory.CreateDirectory(dir);
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.Model("llama-tiny-draft"), "config.json")))!.AsObject();
        config["vocab_size"] = vocab;
        File.WriteAllText(Path.Combine(dir, "config.json"), config.ToJsonString());
        using var source = Checkpoint.Open(Fixtures.Model("llama-tiny-draft"));
        var tensors = source.Names.ToDictionary(n => n, n =>
        {
            var shape = source.Info(n).Shape.ToArray();
            if (shape[0] == 512) shape[0] = vocab; // embed_tokens and lm_head
            return randn(shape);
        });
        SafeTensorsWriter.Write(Path.Combine(dir, "model.safetensors"), tensors, ScalarType.Float32);
        foreach (var t in tensors.Values) t.Dispose();
        return dir;
    }

    /// <summary>A copy of a fixture model folder with a tokenizer.json whose vocabulary is given.</summary>
    string WithTokenizer(string model, string name, params string[] tokens)
    {
        var dir = Path.Combine(_dir, name);
        Directory.CreateDirectory(dir);
        foreach (var file in Directory.GetFiles(Fixtures.Model(model))) File.Copy(file, Path.Combine(dir, Path.GetFileName(file)));
        var vocab = new JsonObject();
        for (int i = 0; i < tokens.Length; i++) vocab[tokens[i]] = i;
        File.WriteAllText(Path.Combine(dir, "tokenizer.json"), new JsonObject { ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab } }.ToJsonString());
        return dir;
    }

    static GenerationRequest Request => new() { Prompts = [[1, 2, 3]], Sampling = new() { MaxNewTokens = 4 } };

    [Fact]
    public void ADraftWithAnotherVocabSizeIsRefused()
    {
        using var target = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var draft = ModelLoader.Load(ModelWithVocab(600));
        var e = Assert.Throws<VocabularyMismatchException>(() => SpeculativeDecoder.WithDraft(target, draft, Request, 4));
        Assert.Contains("vocab_size 600", e.Message);
        Assert.Contains("has 512", e.Message);
    }

    [Fact]
    public void ADraftWithAnotherTokenizerIsRefusedAndTheSameTokenizerPasses()
    {
        using var target = ModelLoader.Load(WithTokenizer("llama-tiny", "target", "a", "b", "c"));
        using var other = ModelLoader.Load(WithTokenizer("llama-tiny-draft", "other", "a", "c", "b"));
        using var same = ModelLoader.Load(WithTokenizer("llama-tiny-draft", "same", "a", "b", "c"));
        var e = Assert.Throws<VocabularyMismatchException>(() => SpeculativeDecoder.WithDraft(target, other, Request, 4));
        Assert.Contains("token 'b' is id 1 in the target but id 2 in the draft", e.Message);
        using var decoder = SpeculativeDecoder.WithDraft(target, same, Request, 4);
        SpeculativeDecoderTests.RunAll(decoder);
        Assert.Equal(4, decoder.Generated(0).Count);
    }
}
