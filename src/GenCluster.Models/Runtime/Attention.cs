using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GenCluster.Models.Runtime;

/// <summary>Scaled dot-product attention with grouped key/value heads, shared by every architecture.</summary>
internal static class Attention
{
    /// <summary>
    /// softmax(q kᵀ / sqrt(d) + mask) v for q [batch, heads, new, d] against k, v [batch, kv_heads, total, d].
    /// The query heads sharing a key head are folded into the query length ([batch, kv_heads, groups * new, d]),
    /// so keys and values are never repeated in memory. Returns [batch, new, heads * d].
    /// </summary>
    public static Tensor Attend(Tensor q, Tensor keys, Tensor values, Tensor? mask)
    {
        long batch = q.shape[0], heads = q.shape[1], count = q.shape[2], dim = q.shape[3];
        long kvHeads = keys.shape[1];
        var folded = q.reshape(batch, kvHeads, heads / kvHeads * count, dim);
        var output = F.scaled_dot_product_attention(folded, keys, values, mask, 0.0, false);
        return output.view(batch, heads, count, dim).transpose(1, 2).reshape(batch, count, heads * dim);
    }
}
