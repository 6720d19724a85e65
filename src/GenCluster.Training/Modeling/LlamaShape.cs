namespace GenCluster.Training.Modeling;

/// <summary>The hyper-parameters of a Llama-architecture model, named after their Hugging Face config.json keys.</summary>
public sealed record LlamaShape(
    int VocabSize,
    int HiddenSize,
    int IntermediateSize,
    int NumHiddenLayers,
    int NumAttentionHeads,
    int NumKeyValueHeads,
    int MaxPositionEmbeddings,
    double RopeTheta = 10000.0,
    double RmsNormEps = 1e-5,
    bool TieWordEmbeddings = true)
{
    /// <summary>Width of one attention head.</summary>
    public int HeadDim => HiddenSize / NumAttentionHeads;

    /// <summary>Throws when the shape cannot build a model.</summary>
    public LlamaShape Validate()
    {
        if (HiddenSize % NumAttentionHeads != 0)
            throw new ArgumentException($"hidden_size ({HiddenSize}) must be divisible by num_attention_heads ({NumAttentionHeads})");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new ArgumentException($"num_attention_heads ({NumAttentionHeads}) must be divisible by num_key_value_heads ({NumKeyValueHeads})");
        if (HeadDim % 2 != 0)
            throw new ArgumentException($"head dim ({HeadDim}) must be even for rotary embeddings");
        return this;
    }
}
