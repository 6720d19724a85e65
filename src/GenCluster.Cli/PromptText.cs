using GenCluster.Decoding;
using GenCluster.Models.ChatTemplates;
using GenCluster.Models.Text;

namespace GenCluster.Cli;

/// <summary>A model folder's tokenizer and chat template, as the CLI uses them.</summary>
internal sealed class PromptText(HfTokenizer tokenizer, string modelDir, string? chatTemplateFile)
{
    public HfTokenizer Tokenizer { get; } = tokenizer;

    /// <summary>The folder's text side, or null when it has no tokenizer.json.</summary>
    public static PromptText? For(string modelDir, string? chatTemplateFile) =>
        File.Exists(Path.Combine(modelDir, "tokenizer.json")) ? new PromptText(HfTokenizer.Load(modelDir), modelDir, chatTemplateFile) : null;

    /// <summary>Plain prompt: the tokenizer's own special tokens (e.g. BOS) added, special-token text not parsed.</summary>
    public IReadOnlyList<long> Encode(string text) => Tokenizer.Encode(text).Select(id => (long)id).ToArray();

    /// <summary>Chat prompt: the template rendered with add_generation_prompt, then tokenized as transformers' apply_chat_template does.</summary>
    public IReadOnlyList<long> EncodeChat(string user, string? system)
    {
        var messages = new List<ChatMessage>();
        if (system is not null) messages.Add(ChatMessage.System(system));
        messages.Add(ChatMessage.User(user));
        var rendered = LoadTemplate(modelDir, chatTemplateFile).Render(messages, addGenerationPrompt: true);
        return Tokenizer.Encode(rendered, addSpecialTokens: false, parseSpecial: true).Select(id => (long)id).ToArray();
    }

    /// <summary>A streaming detokenizer for one sequence (special tokens skipped).</summary>
    public ITextStream NewStream() => new Stream(Tokenizer.CreateDetokenizer());

    /// <summary>The folder's chat template, or the one in --chat-template.</summary>
    public static ChatTemplate LoadTemplate(string modelDir, string? chatTemplateFile)
    {
        if (chatTemplateFile is null) return ChatTemplate.FromTokenizerConfig(modelDir);
        if (!File.Exists(chatTemplateFile)) throw new UsageException($"chat template file not found: {chatTemplateFile}");
        var config = TokenizerConfigFile.Read(modelDir);
        return new ChatTemplate(File.ReadAllText(chatTemplateFile), config.TokenContent("bos_token"), config.TokenContent("eos_token"));
    }

    sealed class Stream(IncrementalDetokenizer detokenizer) : ITextStream
    {
        public string Push(long tokenId) => detokenizer.Push((int)tokenId);
        public string Flush() => detokenizer.Flush();
    }
}
