namespace GenCluster.Grains;

/// <summary>A served model, keyed by its name, answering on a silo that hosts it: its shape and its tokenizer.</summary>
[Alias("GenCluster.IModelGrain")]
public interface IModelGrain : IGrainWithStringKey
{
    /// <summary>Vocabulary, context window, EOS ids and whether the model has a tokenizer.</summary>
    [Alias("Describe")]
    Task<ModelInfo> Describe();

    /// <summary>Token ids of a text (the tokenizer's special tokens added); throws when the model has no tokenizer.</summary>
    [Alias("Tokenize")]
    Task<TokenizedText> Tokenize(string text);

    /// <summary>Token ids of a conversation rendered with the model's chat template (generation prompt added).</summary>
    [Alias("TokenizeChat")]
    Task<TokenizedText> TokenizeChat(ChatTurn[] messages);

    /// <summary>Each token's own text and bytes (as decoded alone); throws when the model has no tokenizer or an id is out of range.</summary>
    [Alias("TokenTexts")]
    Task<TokenText[]> TokenTexts(long[] tokenIds);
}

/// <summary>One chat message: role (system, user, assistant) and content.</summary>
[GenerateSerializer, Immutable, Alias("GenCluster.ChatTurn")]
public sealed record ChatTurn([property: Id(0)] string Role, [property: Id(1)] string Content);

/// <summary>Which models the cluster serves, read from the silos' metadata (any silo answers).</summary>
[Alias("GenCluster.IModelDirectoryGrain")]
public interface IModelDirectoryGrain : IGrainWithIntegerKey
{
    /// <summary>Every model name served by at least one active silo, with how many silos serve it.</summary>
    [Alias("List")]
    Task<IReadOnlyList<ServedModel>> List();
}
