using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using GenCluster.Models.ChatTemplates;

namespace GenCluster.Cli;

/// <summary>`gencluster tokenize` and `gencluster template`: the text side of a model folder, for tools and debugging.</summary>
internal static class TextCommands
{
    public static Command Tokenize(TextWriter stdout)
    {
        var model = CliOption.Create<string?>("--model", "model folder with tokenizer.json (default: models/default)");
        var text = CliOption.Create<string>("--text", "text to tokenize");
        text.Required = true;
        var noSpecial = CliOption.Create<bool>("--no-special-tokens", "do not add the tokenizer's BOS/EOS");
        var output = CliOption.Create<string>("--output", "text|json").WithDefault("text");
        output.AcceptOnlyFromAmong("text", "json");
        var command = new Command("tokenize", "print the token ids and pieces of a text") { model, text, noSpecial, output };
        command.SetAction(async parsed =>
        {
            var dir = ModelLocator.Resolve(parsed.GetValue(model));
            var prompt = PromptText.For(dir, null) ?? throw new UsageException($"{dir} has no tokenizer.json");
            var ids = prompt.Tokenizer.Encode(parsed.GetValue(text)!, addSpecialTokens: !parsed.GetValue(noSpecial));
            var pieces = ids.Select(prompt.Tokenizer.TokenPiece).ToArray();
            if (parsed.GetValue(output) == "json")
                await stdout.WriteLineAsync(new JsonObject
                {
                    ["ids"] = new JsonArray(ids.Select(i => (JsonNode)i).ToArray()),
                    ["pieces"] = new JsonArray(pieces.Select(p => (JsonNode)p).ToArray()),
                }.ToJsonString());
            else
                for (int i = 0; i < ids.Length; i++) await stdout.WriteLineAsync($"{ids[i]}\t{pieces[i]}");
            return 0;
        });
        return command;
    }

    public static Command Template(TextWriter stdout)
    {
        var model = CliOption.Create<string?>("--model", "model folder with tokenizer_config.json (default: models/default)");
        var messages = CliOption.Create<string>("--messages", "JSON file: an array of {role, content, ...} messages");
        messages.Required = true;
        var tools = CliOption.Create<string?>("--tools", "JSON file: an array of tool definitions");
        var generationPrompt = CliOption.Create<bool>("--add-generation-prompt", "end with the assistant turn's opening");
        var chatTemplate = CliOption.Create<string?>("--chat-template", "Jinja file overriding the folder's chat template");
        var command = new Command("template", "render a conversation with the model's chat template, exactly") { model, messages, tools, generationPrompt, chatTemplate };
        command.SetAction(async parsed =>
        {
            var dir = ModelLocator.Resolve(parsed.GetValue(model));
            var template = PromptText.LoadTemplate(dir, parsed.GetValue(chatTemplate));
            using var conversation = ReadJson(parsed.GetValue(messages)!, "--messages");
            using var toolDoc = parsed.GetValue(tools) is { } t ? ReadJson(t, "--tools") : null;
            var rendered = template.Render(conversation.RootElement, parsed.GetValue(generationPrompt), toolDoc?.RootElement);
            await stdout.WriteAsync(rendered);
            await stdout.FlushAsync();
            return 0;
        });
        return command;
    }

    static JsonDocument ReadJson(string path, string flag)
    {
        if (!File.Exists(path)) throw new UsageException($"{flag} file not found: {path}");
        try { return JsonDocument.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new UsageException($"{flag} file {path} is not valid JSON: {e.Message}"); }
    }
}
