using System.CommandLine;
using GenCluster.Decoding;
using GenCluster.Models;
using GenCluster.Models.Config;
using GenCluster.Sampling;

namespace GenCluster.Cli;

/// <summary>`gencluster generate`: the flags of the classic Python sampling scripts, run on the local runtime.</summary>
internal static class GenerateCommand
{
    sealed class Flags
    {
        public readonly Option<string?> Model = CliOption.Create<string?>("--model", "model folder (default: the shipped models/default)");
        public readonly Option<string?> Prompt = CliOption.Create<string?>("--prompt", "prompt text");
        public readonly Option<string?> PromptFile = CliOption.Create<string?>("--prompt_file", "read the prompt from this file");
        public readonly Option<string?> InputIds = CliOption.Create<string?>("--input-ids", "prompt as comma-separated token ids, e.g. 1,2,3");
        public readonly Option<string?> Method = CliOption.Create<string?>("--method", "greedy|unconstrained|top_k|top_p|min_p|typical|epsilon|eta");
        public readonly Option<string?> Preset = CliOption.Create<string?>("--preset", "creative|precise|balanced|deterministic");
        public readonly Option<bool?> DoSample = CliOption.Create<bool?>("--do_sample", "sample (true) or decode greedily (false), as transformers' do_sample; default: sample when a sampling flag is given, else the model's generation_config.json");
        public readonly Option<double?> Temperature = CliOption.Create<double?>("--temperature", "softmax temperature (0 = greedy)");
        public readonly Option<int?> TopK = CliOption.Create<int?>("--top_k", "keep the k most likely tokens");
        public readonly Option<double?> TopP = CliOption.Create<double?>("--top_p", "nucleus sampling mass");
        public readonly Option<double?> MinP = CliOption.Create<double?>("--min_p", "min-p fraction of the top probability");
        public readonly Option<double?> TypicalP = CliOption.Create<double?>("--typical_p_mass", "locally typical sampling mass", "--typical_p");
        public readonly Option<double?> Epsilon = CliOption.Create<double?>("--epsilon", "cutoff of epsilon (and eta) sampling");
        public readonly Option<double?> RepetitionPenalty = CliOption.Create<double?>("--repetition_penalty", "CTRL repetition penalty (1 = off)");
        public readonly Option<double?> PresencePenalty = CliOption.Create<double?>("--presence_penalty", "OpenAI presence penalty");
        public readonly Option<double?> FrequencyPenalty = CliOption.Create<double?>("--frequency_penalty", "OpenAI frequency penalty");
        public readonly Option<int?> NoRepeatNgram = CliOption.Create<int?>("--no_repeat_ngram_size", "ban repeated n-grams of this size");
        public readonly Option<int> MaxNewTokens = CliOption.Create<int>("--max_new_tokens", "tokens to generate at most").WithDefault(500);
        public readonly Option<int> MinNewTokens = CliOption.Create<int>("--min_new_tokens", "suppress EOS before this many tokens");
        public readonly Option<ulong?> Seed = CliOption.Create<ulong?>("--seed", "random seed (the same seed gives the same text)");
        public readonly Option<int> N = CliOption.Create<int>("--n", "completions per prompt", "--num_samples").WithDefault(1);
        public readonly Option<string[]> Stop = CliOption.Create<string[]>("--stop", "stop string (repeatable)");
        public readonly Option<int> Logprobs = CliOption.Create<int>("--top_logprobs", "alternatives with log-probs per token (JSON output)");
        public readonly Option<string?> EosTokenId = CliOption.Create<string?>("--eos_token_id", "EOS ids overriding the model's, e.g. 2 or 2,7");
        public readonly Option<string> Dtype = CliOption.Create<string>("--dtype", "auto|float32|bfloat16|float16|int8 (CPU: bfloat16/int8 store weights compactly)").WithDefault("auto");
        public readonly Option<bool> NoFastPath = CliOption.Create<bool>("--no-fast-path", "use torch for every linear layer (no CPU SIMD kernels)");
        public readonly Option<string> Device = CliOption.Create<string>("--device", "cpu|cuda|cuda:N").WithDefault("cpu");
        public readonly Option<string?> HfToken = CliOption.Create<string?>("--hf-token", "Hugging Face token for hub downloads (or HF_TOKEN)");
        public readonly Option<string> Output = CliOption.Create<string>("--output", "text|json").WithDefault("text");
        public readonly Option<bool> NoKvCache = CliOption.Create<bool>("--no-kv-cache", "recompute the whole sequence every step");
        public readonly Option<string> Overflow = CliOption.Create<string>("--context-overflow", "error|truncate-left|slide").WithDefault("error");
        public readonly Option<bool> ApplyChatTemplate = CliOption.Create<bool>("--apply-chat-template", "wrap the prompt in the model's chat template");
        public readonly Option<string?> System = CliOption.Create<string?>("--system", "system message for --apply-chat-template");
        public readonly Option<string?> ChatTemplate = CliOption.Create<string?>("--chat-template", "Jinja file overriding the model's chat template");
        public readonly Option<string?> Server = CliOption.Create<string?>("--server", "generate on a cluster through its gRPC gateway, e.g. http://127.0.0.1:50051 (--model is then a served model name)");

        public IEnumerable<Option> All => GetType().GetFields().Select(f => (Option)f.GetValue(this)!);
    }

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var flags = new Flags();
        var methods = Methods();
        flags.Method.Description = string.Join("|", SamplingMethods.Names.Concat(methods.Select(m => m.Name)));
        var command = new Command("generate", "generate text with a local model");
        foreach (var option in flags.All.Concat(methods.SelectMany(m => m.Options))) command.Add(option);
        flags.Output.AcceptOnlyFromAmong("text", "json");
        flags.Overflow.AcceptOnlyFromAmong("error", "truncate-left", "slide");
        command.SetAction((parsed, cancellation) => RunAsync(flags, methods, parsed, stdout, stderr, cancellation));
        return command;
    }

    /// <summary>The strategies behind --method besides the sampling methods; a new strategy is one more entry.</summary>
    static IGenerationMethod[] Methods() => [new BeamMethod(), new CotMethod(), new JsonMethod(), .. AcceleratedMethods.Create()];

    static async Task<int> RunAsync(Flags f, IGenerationMethod[] methods, ParseResult r, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        if (r.GetValue(f.Server) is { } server) return await RunRemoteAsync(f, r, server, stdout, stderr, cancellation);
        var name = r.GetValue(f.Method)?.Trim().ToLowerInvariant().Replace('-', '_');
        var method = methods.FirstOrDefault(m => m.Name == name);
        if (name is not null && method is null && !SamplingMethods.Names.Contains(name))
            throw new UsageException($"--method must be one of {string.Join(", ", SamplingMethods.Names.Concat(methods.Select(m => m.Name)))}; got '{r.GetValue(f.Method)}'");
        var samplingMethod = method is null ? r.GetValue(f.Method) : null;
        BuildSampling(f, r, samplingMethod, null); // bad sampling flags fail before the model loads
        var modelDir = await ModelLocator.ResolveOrDownloadAsync(r.GetValue(f.Model), r.GetValue(f.HfToken), stderr, cancellation);
        var loadOptions = new LoadOptions { Dtype = r.GetValue(f.Dtype)!, Device = r.GetValue(f.Device)!, CpuKernels = !r.GetValue(f.NoFastPath) };
        using var loaded = ModelLoader.Load(modelDir, loadOptions);
        var sampling = BuildSampling(f, r, samplingMethod, loaded.Generation);
        var text = PromptText.For(modelDir, r.GetValue(f.ChatTemplate));
        var prompt = PromptIds(f, r, text);
        // Without an explicit --max_new_tokens the budget is the default or what the context window leaves, whichever
        // is smaller (as vLLM sizes max_tokens); an explicit budget that does not fit stays an error.
        if (r.GetResult(f.MaxNewTokens) is null or { Implicit: true })
            sampling = sampling with { MaxNewTokens = Math.Max(1, Math.Min(sampling.MaxNewTokens, loaded.Config.MaxPositions - prompt.Count)) };
        var context = new GenerationContext(
            modelDir, loaded, loadOptions, text, prompt,
            r.GetValue(f.EosTokenId) is { } eosFlag ? ParseIds(eosFlag, "--eos_token_id") : loaded.EosTokenIds,
            sampling,
            r.GetValue(f.Overflow) switch { "truncate-left" => ContextOverflow.TruncateLeft, "slide" => ContextOverflow.Slide, _ => ContextOverflow.Error },
            !r.GetValue(f.NoKvCache), r.GetValue(f.Output) == "json", stdout, stderr, r);
        return method is null
            ? await SampledGeneration.RunAsync(context, null, cancellation)
            : await method.RunAsync(context, cancellation);
    }

    /// <summary>--server: the same flags sent through the cluster's gateway (--model and --draft-model name served models).</summary>
    static Task<int> RunRemoteAsync(Flags f, ParseResult r, string server, TextWriter stdout, TextWriter stderr, CancellationToken cancellation)
    {
        var ids = r.GetValue(f.InputIds) is { } given ? ParseIds(given, "--input-ids") : null;
        var prompt = r.GetValue(f.Prompt) ?? (r.GetValue(f.PromptFile) is { } file ? ReadPromptFile(file) : null);
        var eos = r.GetValue(f.EosTokenId) is { } eosFlag ? ParseIds(eosFlag, "--eos_token_id") : null;
        var method = r.GetValue(f.Method)?.Trim().ToLowerInvariant().Replace('-', '_');
        bool strategy = method is not null && RemoteGeneration.Strategies.Contains(method);
        var order = new RemoteGeneration.Order(r.GetValue(f.Model), prompt, ids, r.GetValue(f.ApplyChatTemplate), r.GetValue(f.System),
            BuildSampling(f, r, strategy ? null : r.GetValue(f.Method), null), eos, r.GetValue(f.Overflow)!, strategy ? method : null);
        return RemoteGeneration.RunAsync(server, order, r, r.GetValue(f.Output) == "json", stdout, stderr, cancellation);
    }

    /// <summary>
    /// The sampling params: a preset, else the model's generation_config.json defaults (as transformers' generate()
    /// uses them), overridden by explicit flags. <paramref name="samplingMethod"/> is --method when it names a
    /// sampling method (null for strategies).
    /// </summary>
    static SamplingParams BuildSampling(Flags f, ParseResult r, string? samplingMethod, GenerationConfig? defaults)
    {
        var p = r.GetValue(f.Preset) is { } preset ? SamplingPresets.Get(preset) : FromGenerationConfig(defaults);
        p = p with
        {
            Temperature = r.GetValue(f.Temperature) ?? p.Temperature,
            TopK = r.GetValue(f.TopK) ?? p.TopK,
            TopP = r.GetValue(f.TopP) ?? p.TopP,
            MinP = r.GetValue(f.MinP) ?? p.MinP,
            TypicalP = r.GetValue(f.TypicalP) ?? p.TypicalP,
            RepetitionPenalty = r.GetValue(f.RepetitionPenalty) ?? p.RepetitionPenalty,
            PresencePenalty = r.GetValue(f.PresencePenalty) ?? p.PresencePenalty,
            FrequencyPenalty = r.GetValue(f.FrequencyPenalty) ?? p.FrequencyPenalty,
            NoRepeatNgramSize = r.GetValue(f.NoRepeatNgram) ?? p.NoRepeatNgramSize,
            MaxNewTokens = r.GetValue(f.MaxNewTokens),
            MinNewTokens = r.GetValue(f.MinNewTokens),
            Seed = r.GetValue(f.Seed),
            N = r.GetValue(f.N),
            Stop = r.GetValue(f.Stop) ?? [],
            TopLogprobs = r.GetValue(f.Logprobs),
            Logprobs = true,
        };
        var epsilon = r.GetValue(f.Epsilon);
        if (samplingMethod is not null && r.GetResult(f.DoSample) is not null)
            throw new UsageException($"--do_sample conflicts with --method {samplingMethod} (the method decides whether to sample)");
        if (samplingMethod is not null) return SamplingMethods.Apply(samplingMethod, p, epsilon);
        if (epsilon is { } cut) p = p with { EpsilonCutoff = cut };
        // Without --method, any sampling flag means sampling (as the classic scripts do); none means the model's default;
        // --do_sample says it explicitly either way.
        bool samplingFlag = new Option[] { f.Temperature, f.TopK, f.TopP, f.MinP, f.TypicalP, f.Epsilon }.Any(o => r.GetResult(o) is not null);
        if (r.GetValue(f.DoSample) is { } doSample) return (p with { DoSample = doSample }).Validate();
        return (r.GetValue(f.Preset) is null ? p with { DoSample = samplingFlag || (defaults?.DoSample ?? false) } : p).Validate();
    }

    static SamplingParams FromGenerationConfig(GenerationConfig? g)
    {
        var p = new SamplingParams();
        if (g is null) return p;
        return p with
        {
            Temperature = g.Temperature ?? p.Temperature, TopK = g.TopK ?? p.TopK, TopP = g.TopP ?? p.TopP,
            RepetitionPenalty = g.RepetitionPenalty ?? p.RepetitionPenalty,
        };
    }

    static IReadOnlyList<long> PromptIds(Flags f, ParseResult r, PromptText? text)
    {
        var given = new[] { r.GetValue(f.Prompt) is not null, r.GetValue(f.PromptFile) is not null, r.GetValue(f.InputIds) is not null }.Count(x => x);
        if (given != 1) throw new UsageException("give exactly one of --prompt, --prompt_file or --input-ids");
        if (r.GetValue(f.InputIds) is { } ids)
        {
            if (r.GetValue(f.ApplyChatTemplate)) throw new UsageException("--apply-chat-template needs a text prompt, not --input-ids");
            return ParseIds(ids, "--input-ids");
        }
        var prompt = r.GetValue(f.Prompt) ?? ReadPromptFile(r.GetValue(f.PromptFile)!);
        if (text is null) throw new UsageException("this model folder has no tokenizer.json: pass token ids with --input-ids");
        return r.GetValue(f.ApplyChatTemplate) ? text.EncodeChat(prompt, r.GetValue(f.System)) : text.Encode(prompt);
    }

    static string ReadPromptFile(string path) => File.Exists(path) ? File.ReadAllText(path) : throw new UsageException($"prompt file not found: {path}");

    internal static long[] ParseIds(string text, string flag)
    {
        try
        {
            var ids = text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
            if (ids.Length == 0 || ids.Any(id => id < 0)) throw new FormatException();
            return ids;
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new UsageException($"{flag} must be comma-separated non-negative token ids, e.g. 1,2,3; got '{text}'");
        }
    }
}
