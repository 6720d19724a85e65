namespace GenCluster.Decoding.Json;

/// <summary>Where constrained decoding stands: an automaton state of the <see cref="JsonConstraint"/> that produced it (a small value, cheap to keep per sequence or beam).</summary>
public readonly record struct JsonState
{
    internal JsonState(int id) => Id = id;

    internal int Id { get; }
}
