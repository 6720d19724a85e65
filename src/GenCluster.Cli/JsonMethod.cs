using System.CommandLine;
using GenCluster.Decoding.Json;

namespace GenCluster.Cli;

/// <summary>`--method json`: sampling (any flags) under a JSON-schema token mask; any JSON value without --json_schema.</summary>
internal sealed class JsonMethod : IGenerationMethod
{
    readonly Option<string?> _schema = CliOption.Create<string?>("--json_schema", "JSON Schema file the output must satisfy (--method json)");

    public string Name => "json";

    public IEnumerable<Option> Options => [_schema];

    public Task<int> RunAsync(GenerationContext c, CancellationToken cancellation)
    {
        if (c.Text is null) throw new UsageException("--method json needs the model's tokenizer.json (token texts build the mask)");
        var schema = c.Parsed.GetValue(_schema) is { } file
            ? File.Exists(file) ? File.ReadAllText(file) : throw new UsageException($"JSON schema file not found: {file}")
            : null;
        int vocab = c.Loaded.Config.VocabSize;
        var eos = c.EosTokenIds.Where(id => id < vocab).Select(id => (int)id).ToArray();
        var constraint = JsonConstraint.Compile(schema, TokenTexts.Of(c.Text.Tokenizer, vocab), eos);
        return SampledGeneration.RunAsync(c, _ => new JsonTokenConstraint(constraint), cancellation);
    }
}
