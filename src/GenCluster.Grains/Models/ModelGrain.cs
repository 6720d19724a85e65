using GenCluster.Grains.Placement;
using GenCluster.Models.ChatTemplates;
using GenCluster.Models.Text;

namespace GenCluster.Grains.Models;

/// <summary>Answers questions about a model (shape, tokenization) from a silo that serves it.</summary>
[ModelAffinityPlacement]
public sealed class ModelGrain(ModelCatalog catalog) : Grain, IModelGrain
{
    /// <inheritdoc />
    public async Task<ModelInfo> Describe() => (await LoadAsync()).Describe();

    /// <inheritdoc />
    public async Task<TokenizedText> Tokenize(string text)
    {
        var tokenizer = TokenizerOf(await LoadAsync());
        return Tokenized(tokenizer, tokenizer.Encode(text));
    }

    /// <inheritdoc />
    public async Task<TokenizedText> TokenizeChat(ChatTurn[] messages)
    {
        var model = await LoadAsync();
        var tokenizer = TokenizerOf(model);
        if (messages.Length == 0) throw new InvalidRequestException("messages", "messages is empty: give at least one chat message");
        try
        {
            var rendered = ChatTemplate.FromTokenizerConfig(model.Spec.Dir).Render(messages.Select(m => new ChatMessage(m.Role, m.Content)).ToList(), addGenerationPrompt: true);
            // As transformers' apply_chat_template: the template writes the special tokens itself.
            return Tokenized(tokenizer, tokenizer.Encode(rendered, addSpecialTokens: false, parseSpecial: true));
        }
        catch (ChatTemplateException e) { throw new InvalidRequestException("messages", $"messages: {e.Message}"); }
    }

    /// <inheritdoc />
    public async Task<TokenText[]> TokenTexts(long[] tokenIds)
    {
        var tokenizer = TokenizerOf(await LoadAsync());
        return tokenIds.Select(id => id >= 0 && id < tokenizer.VocabSize
            ? new TokenText(tokenizer.Decode([(int)id]), tokenizer.TokenBytes((int)id))
            : throw new InvalidRequestException("token_ids", $"token id {id} is outside the vocabulary [0, {tokenizer.VocabSize})")).ToArray();
    }

    // First use loads the weights: off the scheduler.
    Task<LocalModel> LoadAsync() => Task.Run(() => catalog.Get(this.GetPrimaryKeyString()));

    static HfTokenizer TokenizerOf(LocalModel model) => model.Tokenizer
        ?? throw new InvalidRequestException("prompt", $"model '{model.Spec.Name}' has no tokenizer.json: send token ids (input_ids) instead of text");

    static TokenizedText Tokenized(HfTokenizer tokenizer, int[] ids) => new(ids.Select(id => (long)id).ToArray(), ids.Select(tokenizer.TokenPiece).ToArray());
}
