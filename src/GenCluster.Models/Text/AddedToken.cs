namespace GenCluster.Models.Text;

/// <summary>An entry of tokenizer.json's added_tokens: matched in text before the model runs; special ones only on request.</summary>
public sealed record AddedToken(int Id, string Content, bool Special);
