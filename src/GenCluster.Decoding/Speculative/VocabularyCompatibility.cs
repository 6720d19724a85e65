using System.Text.Json;
using GenCluster.Models;

namespace GenCluster.Decoding.Speculative;

/// <summary>A draft model (or Medusa heads) whose vocabulary is not the target's: its token ids would mean other text.</summary>
public sealed class VocabularyMismatchException(string message) : Exception(message);

/// <summary>
/// Checks that a draft and its target share a vocabulary: the same vocab_size, and when both folders carry a
/// tokenizer.json, the same token-to-id map and added tokens (the draft's token id i must be the target's token id i).
/// </summary>
public static class VocabularyCompatibility
{
    /// <summary>Throws <see cref="VocabularyMismatchException"/> naming the first difference.</summary>
    public static void Check(LoadedModel target, LoadedModel draft)
    {
        CheckSizes(target.Config.VocabSize, draft.Config.VocabSize, target.Dir, draft.Dir);
        var targetTokenizer = Path.Combine(target.Dir, "tokenizer.json");
        var draftTokenizer = Path.Combine(draft.Dir, "tokenizer.json");
        if (!File.Exists(targetTokenizer) || !File.Exists(draftTokenizer)) return;
        var a = Vocabulary(targetTokenizer);
        var b = Vocabulary(draftTokenizer);
        foreach (var (token, id) in a)
            if (!b.TryGetValue(token, out var other) || other != id)
                throw new VocabularyMismatchException(
                    $"the draft model's tokenizer ({draftTokenizer}) differs from the target's ({targetTokenizer}): token '{token}' is id {id} in the target but {(b.ContainsKey(token) ? $"id {b[token]}" : "absent")} in the draft; speculative decoding needs a draft trained with the target's tokenizer");
        if (a.Count != b.Count)
            throw new VocabularyMismatchException($"the draft model's tokenizer ({draftTokenizer}) has {b.Count} tokens, the target's ({targetTokenizer}) {a.Count}; speculative decoding needs a draft trained with the target's tokenizer");
    }

    /// <summary>Throws when the vocabulary sizes differ.</summary>
    public static void CheckSizes(int targetVocab, int draftVocab, string targetName, string draftName)
    {
        if (targetVocab != draftVocab)
            throw new VocabularyMismatchException(
                $"the draft ({draftName}) has vocab_size {draftVocab} but the target ({targetName}) has {targetVocab}; speculative decoding needs a draft that shares the target's vocabulary");
    }

    /// <summary>token text -> id from model.vocab and added_tokens.</summary>
    static Dictionary<string, long> Vocabulary(string tokenizerJson)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(tokenizerJson));
        var map = new Dictionary<string, long>(StringComparer.Ordinal);
        if (doc.RootElement.TryGetProperty("model", out var model) && model.TryGetProperty("vocab", out var vocab) && vocab.ValueKind == JsonValueKind.Object)
            foreach (var entry in vocab.EnumerateObject()) map[entry.Name] = entry.Value.GetInt64();
        if (doc.RootElement.TryGetProperty("added_tokens", out var added))
            foreach (var t in added.EnumerateArray()) map[t.GetProperty("content").GetString()!] = t.GetProperty("id").GetInt64();
        return map;
    }
}
