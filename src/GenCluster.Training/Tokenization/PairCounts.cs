namespace GenCluster.Training.Tokenization;

/// <summary>Two adjacent BPE symbols.</summary>
internal readonly record struct SymbolPair(int Left, int Right);

/// <summary>Weighted counts of adjacent symbol pairs over a word list, with the words each pair occurs in and a lazy max-heap.</summary>
internal sealed class PairCounts(List<string> symbols)
{
    readonly Dictionary<SymbolPair, long> counts = [];
    readonly Dictionary<SymbolPair, HashSet<int>> where = [];
    readonly PriorityQueue<SymbolPair, (long Count, SymbolPair Pair)> heap = new(Comparer<(long Count, SymbolPair Pair)>.Create((a, b) => Compare(symbols, a, b)));

    /// <summary>Adds (sign +1) or removes (sign -1) the pairs of one word occurring <paramref name="count"/> times.</summary>
    public void AddWord(int[] word, int wordIndex, long count, int sign)
    {
        for (var i = 0; i + 1 < word.Length; i++)
        {
            var pair = new SymbolPair(word[i], word[i + 1]);
            var total = counts.GetValueOrDefault(pair) + sign * count;
            counts[pair] = total;
            if (sign > 0)
            {
                if (!where.TryGetValue(pair, out var set)) where[pair] = set = [];
                set.Add(wordIndex);
            }
            if (total > 0) heap.Enqueue(pair, (total, pair));
        }
    }

    /// <summary>Removes and returns the most frequent pair occurring at least twice, or null.</summary>
    public SymbolPair? PopMostFrequent()
    {
        while (heap.TryDequeue(out var pair, out var entry))
        {
            var current = counts.GetValueOrDefault(pair);
            if (entry.Count != current) continue; // stale entry: the pair's count changed since it was queued
            return current >= 2 ? pair : null;
        }
        return null;
    }

    /// <summary>Indices of the words that contained the pair at some point (a superset: callers re-check).</summary>
    public int[] WordsWith(SymbolPair pair) => where.Remove(pair, out var set) ? [.. set.Order()] : [];

    // Max-heap on count; ties go to the ordinally smallest (left, right) symbol strings so training is deterministic.
    static int Compare(List<string> symbols, (long Count, SymbolPair Pair) a, (long Count, SymbolPair Pair) b)
    {
        if (a.Count != b.Count) return b.Count.CompareTo(a.Count);
        var left = string.CompareOrdinal(symbols[a.Pair.Left], symbols[b.Pair.Left]);
        return left != 0 ? left : string.CompareOrdinal(symbols[a.Pair.Right], symbols[b.Pair.Right]);
    }
}
