using GenCluster.Sampling.Samplers;

namespace GenCluster.Sampling.Processors;

/// <summary>
/// The CPU counterparts of <see cref="Removal"/>: the steps the filters share, over one float32 row in place (removed
/// entries become -inf). Probabilities are computed in float64 from the same float32 scores torch reads.
/// </summary>
static class RowRemoval
{
    /// <summary>
    /// p = softmax(row) in float64 (0 for -inf), with the row maximum and log Σ exp(row - max). False when torch's
    /// softmax is NaN everywhere (a NaN or +inf score, or every score -inf): then no comparison removes anything, and
    /// the caller leaves the row as it is.
    /// </summary>
    public static bool Softmax(ReadOnlySpan<float> row, Span<double> p, out float max, out double logSum)
    {
        max = ScoreRows.Max(row);
        logSum = double.NaN;
        if (!float.IsFinite(max)) return false;
        double sum = ScoreRows.ExpShifted(row, max, p);
        double inverse = 1 / sum;
        for (int i = 0; i < p.Length; i++) p[i] *= inverse;
        logSum = Math.Log(sum);
        return true;
    }

    /// <summary>H = -Σ p_i log p_i with log p_i = row_i - max - logSum; entries with p_i = 0 count 0 (transformers' nansum, Categorical's clamp).</summary>
    public static double Entropy(ReadOnlySpan<float> row, ReadOnlySpan<double> p, float max, double logSum)
    {
        double entropy = 0;
        for (int i = 0; i < row.Length; i++)
            if (p[i] > 0) entropy -= p[i] * (row[i] - max - logSum);
        return entropy;
    }

    /// <summary>The k-th largest value (k &gt;= 1), NaN ranking above +inf as in torch.topk; a quickselect on a pooled copy.</summary>
    public static float KthLargest(ReadOnlySpan<float> row, int k)
    {
        using var buffer = new PooledRow<float>(row.Length);
        var values = buffer.Span;
        int n = 0;
        foreach (var v in row)
            if (!float.IsNaN(v)) values[n++] = v;
        int nan = row.Length - n;
        return k <= nan ? float.NaN : Select(values[..n], k - nan - 1);
    }

    /// <summary>The value at position <paramref name="nth"/> of <paramref name="v"/> sorted descending (Hoare's quickselect, median-of-three pivot).</summary>
    static float Select(Span<float> v, int nth)
    {
        int lo = 0, hi = v.Length - 1;
        while (lo < hi)
        {
            float a = v[lo], b = v[lo + (hi - lo) / 2], c = v[hi];
            float pivot = Math.Max(Math.Min(a, b), Math.Min(Math.Max(a, b), c));
            int i = lo, j = hi;
            while (i <= j)
            {
                while (v[i] > pivot) i++;
                while (v[j] < pivot) j--;
                if (i <= j) (v[i], v[j]) = (v[j--], v[i++]);
            }
            // Now v[lo..j] >= pivot >= v[i..hi], and v[j+1..i-1] == pivot.
            if (nth <= j) hi = j;
            else if (nth >= i) lo = i;
            else return v[nth];
        }
        return v[lo];
    }

    /// <summary>Sets every entry strictly below <paramref name="kth"/> to -inf (ties with it stay).</summary>
    public static void RemoveBelow(Span<float> row, float kth)
    {
        for (int i = 0; i < row.Length; i++)
            if (row[i] < kth) row[i] = float.NegativeInfinity;
    }

    /// <summary>
    /// Removes the entries whose probability is below <paramref name="threshold"/> unless their score reaches the
    /// <paramref name="minTokensToKeep"/>-th highest (as <see cref="Removal.BelowProbability"/>: ties with it are kept).
    /// </summary>
    public static void RemoveBelowProbability(Span<float> row, ReadOnlySpan<double> p, double threshold, int minTokensToKeep)
    {
        float kth = KthLargest(row, Math.Min(minTokensToKeep, row.Length));
        for (int i = 0; i < row.Length; i++)
            if (p[i] < threshold && row[i] < kth) row[i] = float.NegativeInfinity;
    }

    /// <summary>
    /// Marks the <paramref name="count"/> highest scores in <paramref name="keep"/> (exactly count of them; among
    /// entries tied at the boundary the lower indices, as a stable descending sort would order them).
    /// </summary>
    public static void MarkHighest(ReadOnlySpan<float> row, int count, Span<bool> keep)
    {
        count = Math.Min(count, row.Length);
        float kth = KthLargest(row, count);
        int ties = count;
        foreach (var v in row)
            if (Above(v, kth)) ties--;
        for (int i = 0; i < row.Length; i++)
            keep[i] = Above(row[i], kth) || Tied(row[i], kth) && ties-- > 0;

        // NaN ranks above every number (torch.topk's order) and ties with NaN.
        static bool Above(float v, float kth) => v > kth || float.IsNaN(v) && !float.IsNaN(kth);
        static bool Tied(float v, float kth) => v == kth || float.IsNaN(v) && float.IsNaN(kth);
    }

    /// <summary>
    /// A sort key ordering by key ascending, then by index ascending (<paramref name="lowerIndexFirst"/>) or descending:
    /// the float's bits mapped to an order-preserving unsigned integer, above the index. The CPU stages order ties so
    /// that the lower token id ranks higher (first among equally typical tokens, last in an ascending sort of scores),
    /// the order transformers' golden ties case shows; torch's own sort leaves it unspecified.
    /// </summary>
    public static ulong SortKey(float key, int index, bool lowerIndexFirst = true)
    {
        uint bits = BitConverter.SingleToUInt32Bits(key);
        uint ordered = (bits & 0x8000_0000) != 0 ? ~bits : bits | 0x8000_0000;
        return (ulong)ordered << 32 | (lowerIndexFirst ? (uint)index : ~(uint)index);
    }

    /// <summary>The index a <see cref="SortKey"/> was made with (the same <paramref name="lowerIndexFirst"/>).</summary>
    public static int IndexOf(ulong sortKey, bool lowerIndexFirst = true) => (int)(lowerIndexFirst ? (uint)sortKey : ~(uint)sortKey);
}
