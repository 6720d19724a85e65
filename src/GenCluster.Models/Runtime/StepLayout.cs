using static TorchSharp.torch;

namespace GenCluster.Models.Runtime;

/// <summary>
/// Position ids and the additive attention mask of one forward pass, derived from the cache's slot bookkeeping:
/// a new token at slot i sees slot j when j is a real token and either j precedes the new tokens or the
/// tree mask (default causal) allows it; with a sliding window also position(i) - position(j) &lt; window.
/// </summary>
internal sealed class StepLayout : IDisposable
{
    /// <summary>Position ids [batch, new] (int64, on device).</summary>
    public Tensor Positions { get; }

    /// <summary>Additive mask [batch, 1, groups * new, past + new], or null when every key is visible.</summary>
    public Tensor? Mask { get; }

    /// <summary>Largest position id among the new tokens (sizes the rotary tables).</summary>
    public long MaxPosition { get; }

    StepLayout(Tensor positions, Tensor? mask, long maxPosition) => (Positions, Mask, MaxPosition) = (positions, mask, maxPosition);

    /// <summary>Reserves the new slots in the cache and builds the layout; <paramref name="groups"/> query heads share a key head.</summary>
    public static StepLayout Prepare(ForwardRequest request, KvCache cache, int groups, int? slidingWindow, Device device, ScalarType dtype)
    {
        int batch = request.InputIds.GetLength(0), count = request.InputIds.GetLength(1), past = cache.Length;
        var positions = Reserve(request, cache);

        int total = past + count;
        bool needMask = count > 1 || request.TreeMask is not null || slidingWindow is not null;
        for (int b = 0; b < batch && !needMask; b++)
            for (int s = 0; s < total && !needMask; s++) needMask = !cache.IsValid(b, s);
        Tensor? mask = null;
        if (needMask)
        {
            float masked = MaskedValue(dtype);
            var data = new float[batch * groups * count * total];
            for (int b = 0; b < batch; b++)
            {
                var rowValid = cache.ValidRow(b);
                var rowPos = cache.PositionRow(b);
                for (int t = 0; t < count; t++)
                    for (int s = 0; s < total; s++)
                    {
                        if (Sees(rowValid, rowPos, past, t, s, request.TreeMask, slidingWindow)) continue;
                        for (int g = 0; g < groups; g++) data[((b * groups + g) * count + t) * total + s] = masked;
                    }
            }
            mask = tensor(data, new long[] { batch, 1, groups * count, total }).to(dtype, device);
        }
        var flatPositions = new long[batch * count];
        Buffer.BlockCopy(positions, 0, flatPositions, 0, flatPositions.Length * sizeof(long));
        return new StepLayout(tensor(flatPositions, new long[] { batch, count }).to(device), mask, flatPositions.Max());
    }

    /// <summary>
    /// Checks the request against the cache, gives each new token its validity (left padding is not valid) and
    /// position id, and reserves its slots in the cache; returns the position ids [batch, new].
    /// </summary>
    public static long[,] Reserve(ForwardRequest request, KvCache cache)
    {
        var ids = request.InputIds;
        int batch = ids.GetLength(0), count = ids.GetLength(1);
        if (batch != cache.BatchSize) throw new ArgumentException($"input has {batch} rows but the cache holds {cache.BatchSize} sequences");
        if (request.TreeMask is { } tm && (tm.GetLength(0) != count || tm.GetLength(1) != count))
            throw new ArgumentException($"tree mask must be [{count}, {count}]");
        var valid = new bool[batch, count];
        var positions = new long[batch, count];
        for (int b = 0; b < batch; b++)
        {
            long next = cache.NextPosition(b), seen = 0;
            for (int t = 0; t < count; t++)
            {
                bool real = request.AttentionMask is null || request.AttentionMask[b, t] != 0;
                valid[b, t] = real;
                // transformers gives left-padding slots position 1; they are masked out anyway.
                positions[b, t] = request.Positions?[b, t] ?? (real ? next + seen++ : 1);
            }
        }
        cache.Reserve(count, valid, positions);
        return positions;
    }

    /// <summary>
    /// Whether new token <paramref name="t"/> of a row (at slot past + t) sees slot <paramref name="s"/>: a real token
    /// that precedes the new ones or that the tree mask (default causal) allows, within the sliding window if any.
    /// </summary>
    public static bool Sees(bool[] rowValid, long[] rowPositions, int past, int t, int s, bool[,]? treeMask, int? slidingWindow)
    {
        bool visible = rowValid[s] && (s < past || (treeMask?[t, s - past] ?? s - past <= t));
        return visible && !(slidingWindow is int w && rowPositions[past + t] - rowPositions[s] >= w);
    }

    /// <summary>The most negative finite score of a dtype: a finite value keeps fully masked (padding) rows free of NaN.</summary>
    static float MaskedValue(ScalarType dtype) => dtype switch
    {
        ScalarType.Float16 => -6.0e4f,
        ScalarType.BFloat16 => -3.0e38f,
        _ => float.MinValue,
    };

    public void Dispose()
    {
        Positions.Dispose();
        Mask?.Dispose();
    }
}
