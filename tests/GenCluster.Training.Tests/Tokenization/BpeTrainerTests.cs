using System.Text.Json;
using GenCluster.Models.ChatTemplates;
using GenCluster.Training.Tokenization;

namespace GenCluster.Training.Tests.Tokenization;

public class BpeTrainerTests : IDisposable
{
    readonly TinyCorpus corpus = new(vocabSize: 300);

    public void Dispose() => corpus.Dispose();

    JsonElement TokenizerJson => JsonDocument.Parse(File.ReadAllText(Path.Combine(corpus.TokenizerDir, "tokenizer.json"))).RootElement;

    [Fact]
    public void VocabularyHasTheRequestedSizeWithSpecialTokensFirst()
    {
        Assert.Equal(300, corpus.Vocabulary.Count);
        Assert.Equal(SpecialTokens.All, corpus.Vocabulary.Tokens.Take(SpecialTokens.All.Count));
        Assert.Equal(300 - SpecialTokens.All.Count - 256, corpus.Vocabulary.Merges.Count);
    }

    [Fact]
    public void EveryMergeJoinsTwoEarlierTokensIntoTheNextToken()
    {
        var ids = corpus.Vocabulary.Tokens.Select((t, i) => (t, i)).ToDictionary(p => p.t, p => p.i);
        var firstMerged = SpecialTokens.All.Count + 256;
        for (var rank = 0; rank < corpus.Vocabulary.Merges.Count; rank++)
        {
            var (left, right) = corpus.Vocabulary.Merges[rank];
            Assert.True(ids[left] < firstMerged + rank && ids[right] < firstMerged + rank);
            Assert.Equal(firstMerged + rank, ids[left + right]);
        }
    }

    [Fact]
    public void TrainingIsDeterministic()
    {
        var again = BpeTrainer.Train(File.ReadLines(Path.Combine(corpus.Dir, "train.txt")), 300);
        Assert.Equal(corpus.Vocabulary.Merges, again.Merges);
    }

    [Fact]
    public void TokenizerJsonHasTheHuggingFaceByteLevelBpeLayout()
    {
        var root = TokenizerJson;
        var model = root.GetProperty("model");
        Assert.Equal("BPE", model.GetProperty("type").GetString());
        Assert.Equal(300, model.GetProperty("vocab").EnumerateObject().Count());
        Assert.All(model.GetProperty("merges").EnumerateArray(), m => Assert.Equal(2, m.GetString()!.Split(' ').Length));
        Assert.Equal(JsonValueKind.Null, model.GetProperty("unk_token").ValueKind);
        Assert.False(model.GetProperty("byte_fallback").GetBoolean());
        foreach (var part in new[] { "pre_tokenizer", "decoder" })
        {
            Assert.Equal("ByteLevel", root.GetProperty(part).GetProperty("type").GetString());
            Assert.False(root.GetProperty(part).GetProperty("add_prefix_space").GetBoolean());
        }
        Assert.Equal("TemplateProcessing", root.GetProperty("post_processor").GetProperty("type").GetString());
        var added = root.GetProperty("added_tokens").EnumerateArray().ToList();
        Assert.Equal(SpecialTokens.All, added.Select(t => t.GetProperty("content").GetString()));
        Assert.All(added, t =>
        {
            Assert.True(t.GetProperty("special").GetBoolean());
            Assert.Equal(t.GetProperty("id").GetInt32(), model.GetProperty("vocab").GetProperty(t.GetProperty("content").GetString()!).GetInt32());
        });
    }

    [Fact]
    public void ChatTemplateRendersRoleTokensAndGenerationPrompt()
    {
        var template = ChatTemplate.FromTokenizerConfig(corpus.TokenizerDir);
        var text = template.Render([ChatMessage.System("Be brief."), ChatMessage.User("Who led Israel?")], addGenerationPrompt: true);
        Assert.Equal("<|bos|><|system|>\nBe brief.<|end|>\n<|user|>\nWho led Israel?<|end|>\n<|assistant|>\n", text);
        Assert.EndsWith("<|end|>\n", template.Render([ChatMessage.User("Hi")], addGenerationPrompt: false));
    }

    [Fact]
    public void TooSmallVocabularyIsRejectedWithTheMinimum()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => BpeTrainer.Train(["a"], 100));
        Assert.Contains("at least 263", error.Message);
    }
}
