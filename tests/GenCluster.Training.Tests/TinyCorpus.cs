using GenCluster.Training.Tokenization;

namespace GenCluster.Training.Tests;

/// <summary>A small deterministic KJV-like corpus (train.txt, valid.txt) and a tokenizer trained on it, in a temporary folder.</summary>
public sealed class TinyCorpus : IDisposable
{
    static readonly string[] Subjects = ["the LORD", "Moses", "the people", "the king", "a man", "the children of Israel"];
    static readonly string[] Verbs = ["spake unto", "went up to", "blessed", "smote", "came before", "looked upon"];
    static readonly string[] Objects = ["the mountain", "Aaron", "the house of God", "the city", "his servants", "the waters"];

    /// <summary>Creates the corpus and trains a tokenizer of <paramref name="vocabSize"/> tokens.</summary>
    public TinyCorpus(int vocabSize = 320, int trainLines = 400)
    {
        Dir = Directory.CreateTempSubdirectory("gencluster-training-").FullName;
        File.WriteAllLines(Path.Combine(Dir, "train.txt"), Lines(new Random(1), trainLines));
        File.WriteAllLines(Path.Combine(Dir, "valid.txt"), Lines(new Random(2), 60));
        TokenizerDir = Path.Combine(Dir, "tokenizer");
        Vocabulary = BpeTrainer.Train([Path.Combine(Dir, "train.txt")], TokenizerDir, vocabSize, modelMaxLength: 64);
    }

    /// <summary>The folder holding train.txt and valid.txt.</summary>
    public string Dir { get; }

    /// <summary>The folder holding tokenizer.json and tokenizer_config.json.</summary>
    public string TokenizerDir { get; }

    /// <summary>The trained vocabulary.</summary>
    public BpeVocabulary Vocabulary { get; }

    /// <summary>A fresh sub-folder for one run.</summary>
    public string NewFolder(string name) => Directory.CreateDirectory(Path.Combine(Dir, name)).FullName;

    static IEnumerable<string> Lines(Random random, int count)
    {
        string Pick(string[] words) => words[random.Next(words.Length)];
        for (var i = 0; i < count; i++)
            yield return $"And {Pick(Subjects)} {Pick(Verbs)} {Pick(Objects)}, and {Pick(Subjects)} {Pick(Verbs)} {Pick(Objects)}.";
    }

    /// <summary>Deletes the folder.</summary>
    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
