using static TorchSharp.torch;

namespace GenCluster.Decoding.Json;

/// <summary>One sequence's walk through a compiled <see cref="JsonConstraint"/>, as the generation loop's token constraint.</summary>
public sealed class JsonTokenConstraint(JsonConstraint constraint) : ITokenConstraint
{
    JsonState _state = constraint.Start();

    /// <summary>Whether the text so far is a complete JSON value.</summary>
    public bool IsComplete => constraint.IsComplete(_state);

    public void Mask(Tensor scores) => constraint.AllowedTokens(_state).ApplyTo(scores);

    public void Advance(long tokenId) => _state = constraint.Advance(_state, (int)tokenId);
}
