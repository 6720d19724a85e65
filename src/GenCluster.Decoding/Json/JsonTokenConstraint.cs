using static TorchSharp.torch;

namespace GenCluster.Decoding.Json;

/// <summary>One sequence's JSON constraint as the generation loop's <see cref="ITokenConstraint"/>: a shared compiled <see cref="JsonConstraint"/> plus this sequence's state.</summary>
public sealed class JsonTokenConstraint(JsonConstraint constraint) : ITokenConstraint
{
    /// <summary>Where this sequence stands.</summary>
    public JsonState State { get; private set; } = constraint.Start();

    /// <summary>Whether the text so far is a complete value (EOS allowed).</summary>
    public bool IsComplete => constraint.IsComplete(State);

    /// <inheritdoc/>
    /// <exception cref="JsonDeadEndException">No token of the vocabulary continues the value.</exception>
    public void Mask(Tensor scores)
    {
        var mask = constraint.AllowedTokens(State);
        if (mask.Count == 0) throw new JsonDeadEndException();
        mask.ApplyTo(scores);
    }

    /// <inheritdoc/>
    public void Advance(long tokenId) => State = constraint.Advance(State, checked((int)tokenId));
}
