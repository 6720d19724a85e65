using static TorchSharp.torch;

namespace GenCluster.Decoding;

/// <summary>
/// A per-sequence restriction of the next token (e.g. JSON-schema constrained decoding). It masks the raw logits
/// before the logits processors, so temperature, top-k, top-p ... act on the allowed tokens only, as transformers'
/// prefix-constrained processor does.
/// </summary>
public interface ITokenConstraint
{
    /// <summary>Sets disallowed scores of a [1, vocab] row to -inf, in place.</summary>
    void Mask(Tensor scores);

    /// <summary>Moves past the chosen token.</summary>
    void Advance(long tokenId);
}
