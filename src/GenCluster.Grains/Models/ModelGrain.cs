using GenCluster.Grains.Placement;

namespace GenCluster.Grains.Models;

/// <summary>Answers questions about a model (shape, tokenization) from a silo that serves it.</summary>
[ModelAffinityPlacement]
public sealed class ModelGrain(ModelCatalog catalog) : Grain, IModelGrain
{
    LocalModel Model => catalog.Get(this.GetPrimaryKeyString());

    /// <inheritdoc />
    public async Task<ModelInfo> Describe() => await Task.Run(() => Model.Describe());

    /// <inheritdoc />
    public async Task<TokenizedText> Tokenize(string text)
    {
        var model = await Task.Run(() => Model);
        var tokenizer = model.Tokenizer ?? throw new InvalidRequestException("prompt", $"model '{model.Spec.Name}' has no tokenizer.json: send token ids (input_ids) instead of text");
        var ids = tokenizer.Encode(text);
        return new TokenizedText(ids.Select(id => (long)id).ToArray(), ids.Select(tokenizer.TokenPiece).ToArray());
    }
}
