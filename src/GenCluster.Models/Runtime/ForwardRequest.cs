using static TorchSharp.torch;

namespace GenCluster.Models.Runtime;

/// <summary>Which positions of a forward pass produce logits (and hidden states).</summary>
public enum OutputPositions { Last, All }

/// <summary>
/// One forward pass over new tokens of every sequence in a cache's batch.
/// <para><see cref="AttentionMask"/> marks real tokens (1) and left padding (0) among the new tokens, as in transformers;
/// without it every new token is real. <see cref="Positions"/> overrides the position ids (tree attention);
/// <see cref="TreeMask"/> [new, new] says which new token sees which (default: causal).</para>
/// </summary>
public sealed record ForwardRequest(long[,] InputIds)
{
    public long[,]? AttentionMask { get; init; }
    public long[,]? Positions { get; init; }
    public bool[,]? TreeMask { get; init; }
    public OutputPositions Outputs { get; init; } = OutputPositions.Last;
    public bool ReturnHidden { get; init; }

    /// <summary>The input ids as an int64 tensor [batch, new] on <paramref name="device"/> (every architecture's first step).</summary>
    internal Tensor InputTensor(Device device)
    {
        var flat = new long[InputIds.Length];
        Buffer.BlockCopy(InputIds, 0, flat, 0, flat.Length * sizeof(long));
        return tensor(flat, new long[] { InputIds.GetLength(0), InputIds.GetLength(1) }).to(device);
    }

    /// <summary>A single sequence's tokens.</summary>
    public static ForwardRequest Single(IReadOnlyList<long> ids, OutputPositions outputs = OutputPositions.Last)
    {
        var a = new long[1, ids.Count];
        for (int i = 0; i < ids.Count; i++) a[0, i] = ids[i];
        return new ForwardRequest(a) { Outputs = outputs };
    }

    /// <summary>One new token per row (a decode step).</summary>
    public static ForwardRequest Step(IReadOnlyList<long> ids)
    {
        var a = new long[ids.Count, 1];
        for (int i = 0; i < ids.Count; i++) a[i, 0] = ids[i];
        return new ForwardRequest(a);
    }
}

/// <summary>Outputs of a forward pass: logits [batch, positions, vocab] (float32) and optionally the final hidden states [batch, positions, hidden].</summary>
public sealed class ForwardResult(Tensor logits, Tensor? hidden) : IDisposable
{
    /// <summary>Logits in float32 on the model's device.</summary>
    public Tensor Logits { get; } = logits;

    /// <summary>Final-norm hidden states (what lm_head multiplies), when requested.</summary>
    public Tensor? Hidden { get; } = hidden;

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        Logits.Dispose();
        Hidden?.Dispose();
    }
}

/// <summary>A causal language model whose KV caches live on its device.</summary>
public interface ICausalLM : IDisposable
{
    /// <summary>The normalised config.json.</summary>
    Config.ModelConfig Config { get; }

    /// <summary>Device the weights and caches live on.</summary>
    Device Device { get; }

    /// <summary>Compute dtype of the weights.</summary>
    ScalarType Dtype { get; }

    /// <summary>An empty cache for <paramref name="batchSize"/> sequences.</summary>
    KvCache CreateCache(int batchSize, int capacity = 0);

    /// <summary>Runs the new tokens through the model, appending their keys/values to <paramref name="cache"/>.</summary>
    ForwardResult Forward(ForwardRequest request, KvCache cache);

    /// <summary>
    /// Runs several passes, each over its own cache, with the results of running them one after another (up to float
    /// rounding): one batched pass where the model can fuse them (the Llama family's fused CPU pass takes every new
    /// token of the batch as one activation row), otherwise one by one. All or nothing: when it throws, no cache has
    /// grown and no result is left.
    /// </summary>
    IReadOnlyList<ForwardResult> Forward(IReadOnlyList<CachedForward> passes) => CachedForward.OneByOne(this, passes);
}
