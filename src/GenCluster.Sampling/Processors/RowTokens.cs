namespace GenCluster.Sampling.Processors;

/// <summary>Token ids of a row's history used as vocabulary indices by the CPU row stages (torch's gather/scatter would fail on them too).</summary>
static class RowTokens
{
    /// <summary>The id as an index into a row of <paramref name="vocab"/> scores; throws when it lies outside.</summary>
    public static int Index(long id, int vocab) =>
        id >= 0 && id < vocab ? (int)id : throw new ArgumentOutOfRangeException("inputIds", $"input token id {id} is outside the vocabulary of {vocab}");
}
