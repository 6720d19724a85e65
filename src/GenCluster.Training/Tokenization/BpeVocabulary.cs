using System.Text.Json;

namespace GenCluster.Training.Tokenization;

/// <summary>A byte-level BPE vocabulary: tokens by id (special tokens first, in byte-level symbol form) and merges by rank.</summary>
public sealed record BpeVocabulary(IReadOnlyList<string> Tokens, IReadOnlyList<(string Left, string Right)> Merges)
{
    /// <summary>Number of tokens including the special tokens.</summary>
    public int Count => Tokens.Count;

    /// <summary>Reads the vocabulary and merges of a Hugging Face tokenizer.json (merges as "a b" strings or [a, b] pairs).</summary>
    public static BpeVocabulary Load(string tokenizerJsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(tokenizerJsonPath));
        var model = doc.RootElement.GetProperty("model");
        if (model.GetProperty("type").GetString() != "BPE")
            throw new InvalidDataException($"{tokenizerJsonPath}: model.type must be BPE");
        var vocab = model.GetProperty("vocab").EnumerateObject().ToDictionary(p => p.Value.GetInt32(), p => p.Name);
        var tokens = new string[vocab.Count];
        foreach (var (id, token) in vocab)
        {
            if (id < 0 || id >= tokens.Length)
                throw new InvalidDataException($"{tokenizerJsonPath}: token ids must be 0..{tokens.Length - 1}, got {id}");
            tokens[id] = token;
        }
        var merges = model.GetProperty("merges").EnumerateArray().Select(m =>
        {
            if (m.ValueKind == JsonValueKind.Array) return (m[0].GetString()!, m[1].GetString()!);
            var parts = m.GetString()!.Split(' ');
            return parts.Length == 2 ? (parts[0], parts[1]) : throw new InvalidDataException($"{tokenizerJsonPath}: bad merge '{m}'");
        }).ToList();
        return new BpeVocabulary(tokens, merges);
    }
}
