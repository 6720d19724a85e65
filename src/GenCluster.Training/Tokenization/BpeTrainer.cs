using System.Text;

namespace GenCluster.Training.Tokenization;

/// <summary>Trains a byte-level BPE vocabulary (Sennrich et al. 2016; GPT-2's byte-level variant) and writes it as a Hugging Face tokenizer.</summary>
/// <remarks>
/// Words are counted once; pair counts are then kept up to date incrementally: a merge only revisits the words that
/// contain the merged pair, and a lazy max-heap gives the next most frequent pair (ties: the ordinally smallest pair).
/// </remarks>
public static class BpeTrainer
{
    /// <summary>Trains on the lines of the given text files and writes tokenizer.json and tokenizer_config.json into <paramref name="outDir"/>.</summary>
    public static BpeVocabulary Train(IEnumerable<string> textFiles, string outDir, int vocabSize = 4096, int modelMaxLength = 256)
    {
        var vocabulary = Train(textFiles.SelectMany(File.ReadLines), vocabSize);
        TokenizerFiles.Write(vocabulary, outDir, modelMaxLength);
        return vocabulary;
    }

    /// <summary>Trains on lines of text (each line is followed by a newline); stops early when no pair occurs twice.</summary>
    public static BpeVocabulary Train(IEnumerable<string> lines, int vocabSize)
    {
        var baseSize = SpecialTokens.All.Count + 256;
        if (vocabSize < baseSize)
            throw new ArgumentOutOfRangeException(nameof(vocabSize), $"vocab size must be at least {baseSize} (special tokens + 256 bytes), got {vocabSize}");

        var symbols = Enumerable.Range(0, 256).Select(b => ByteLevelAlphabet.ToChar((byte)b).ToString()).ToList();
        var (words, counts) = CountWords(lines);
        var pairs = new PairCounts(symbols);
        for (var w = 0; w < words.Count; w++) pairs.AddWord(words[w], w, counts[w], +1);

        var merges = new List<(string, string)>();
        while (baseSize + merges.Count < vocabSize && pairs.PopMostFrequent() is { } best)
        {
            var merged = symbols.Count;
            symbols.Add(symbols[best.Left] + symbols[best.Right]);
            merges.Add((symbols[best.Left], symbols[best.Right]));
            foreach (var w in pairs.WordsWith(best))
            {
                var word = words[w];
                if (!Contains(word, best)) continue;
                pairs.AddWord(word, w, counts[w], -1);
                words[w] = word = Merge(word, best, merged);
                pairs.AddWord(word, w, counts[w], +1);
            }
        }
        return new BpeVocabulary([.. SpecialTokens.All, .. symbols], merges);
    }

    static (List<int[]> Words, List<long> Counts) CountWords(IEnumerable<string> lines)
    {
        var frequency = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var line in lines)
            foreach (var word in Gpt2PreTokenizer.Split(line + "\n"))
                frequency[word] = frequency.GetValueOrDefault(word) + 1;
        var words = new List<int[]>(frequency.Count);
        var counts = new List<long>(frequency.Count);
        foreach (var (word, count) in frequency.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            words.Add(Encoding.UTF8.GetBytes(word).Select(b => (int)b).ToArray());
            counts.Add(count);
        }
        return (words, counts);
    }

    static bool Contains(int[] word, SymbolPair pair)
    {
        for (var i = 0; i + 1 < word.Length; i++)
            if (word[i] == pair.Left && word[i + 1] == pair.Right) return true;
        return false;
    }

    /// <summary>Replaces every non-overlapping occurrence of the pair, left to right (as HF's BPE model applies a merge).</summary>
    internal static int[] Merge(int[] word, SymbolPair pair, int merged)
    {
        var result = new List<int>(word.Length);
        for (var i = 0; i < word.Length; i++)
        {
            if (i + 1 < word.Length && word[i] == pair.Left && word[i + 1] == pair.Right) { result.Add(merged); i++; }
            else result.Add(word[i]);
        }
        return [.. result];
    }
}
