using GenCluster.Decoding;
using GenCluster.Decoding.Beam;
using GenCluster.Decoding.Cot;
using GenCluster.Decoding.Json;
using GenCluster.Decoding.Medusa;
using GenCluster.Decoding.Speculative;
using GenCluster.Grains.Models;

namespace GenCluster.Grains.Sessions;

/// <summary>
/// Builds the run an order asks for with GenCluster.Decoding, fresh or continuing from what the session persisted
/// (its event log, a beam checkpoint). The draft model and the Medusa heads are this silo's: logits and hidden
/// states stay here. Bad input becomes <see cref="InvalidRequestException"/> naming the field.
/// </summary>
public static class SessionRuns
{
    /// <summary>
    /// The run of <paramref name="order"/> on <paramref name="model"/> with its <see cref="Effective"/> decoding
    /// <paramref name="d"/>, continuing after <paramref name="log"/> and <paramref name="beam"/>.
    /// </summary>
    public static ISessionRun Create(GenerationOrder order, DecodingSpec d, LocalModel model, ModelCatalog catalog, IReadOnlyList<TokenEvent> log, BeamCheckpoint? beam)
    {
        var request = OrderTranslation.ToRequest(order, model);
        Func<ITextStream>? text = model.Tokenizer is null ? null : () => model.NewTextStream()!;
        if (d.Method is "beam" or "cot" && request.Prompts.Count != 1)
            throw new InvalidRequestException("prompt", $"prompt: method {d.Method} decodes one prompt, got {request.Prompts.Count}");
        try
        {
            return d.Method switch
            {
                "beam" => new BeamRun(new BeamSearch(model.Loaded.Model, Beam(d, request), beam?.ToState()), text),
                "cot" => Cot(d, request, model, text ?? throw NeedsTokenizer(d.Method), log),
                "json" => Sampled(request with { Constraint = Json(d, request, model) }, model, log),
                "speculative" => new StreamedRun(Speculative(d, request, model, catalog, text, log)),
                "prompt_lookup" => new StreamedRun(SpeculativeDecoder.WithPromptLookup(model.Loaded.Model, request, d.Lookahead, d.PromptLookupNgram, text?.Invoke(), Tokens(log, 1)[0])),
                "medusa" => new StreamedRun(Medusa(d, request, model, text, log)),
                _ => Sampled(request, model, log),
            };
        }
        catch (ContextOverflowException e) { throw new InvalidRequestException("prompt", e.Message); }
        catch (ArgumentException e) { throw new InvalidRequestException("method", $"method {d.Method}: {e.Message}"); }
    }

    /// <summary>
    /// The decoding a session runs on this silo: its order's (validated), or for a plain single-sequence order the
    /// model's <see cref="Hosting.HostedModel.Accelerate"/> method (checked against the silo's draft and heads at load).
    /// </summary>
    public static DecodingSpec Effective(GenerationOrder order, LocalModel model)
    {
        var d = OrderTranslation.Validate(order.Decoding);
        bool plain = d.Method == DecodingSpec.Sample && order.Prompts.Length == 1 && order.Sampling.N == 1 && order.Sampling.TopLogprobs == 0;
        return plain && model.Spec.Accelerate is { } method ? d with { Method = method } : d;
    }

    static StreamedRun Sampled(GenerationRequest request, LocalModel model, IReadOnlyList<TokenEvent> log)
    {
        int sequences = request.Prompts.Count * request.Sampling.N;
        Func<int, ITextStream>? textFor = model.Tokenizer is null ? null : _ => model.NewTextStream()!;
        return new StreamedRun(new GenerationSession(model.Loaded.Model, request, textFor, log.Count > 0 ? Tokens(log, sequences) : null));
    }

    static BeamSearchRequest Beam(DecodingSpec d, GenerationRequest r) => new()
    {
        Prompt = r.Prompts[0], NumBeams = d.NumBeams, LengthPenalty = d.LengthPenalty, EarlyStopping = BeamSearchRequest.ParseStopping(d.EarlyStopping),
        NumReturnSequences = d.NumReturnSequences, Sampling = r.Sampling, EosTokenIds = r.EosTokenIds, Overflow = r.Overflow,
    };

    static StreamedRun Cot(DecodingSpec d, GenerationRequest r, LocalModel model, Func<ITextStream> text, IReadOnlyList<TokenEvent> log)
    {
        var request = new CotRequest
        {
            Prompt = r.Prompts[0], Branches = d.CotBranches, AnswerPattern = d.CotAnswerRegex ?? AnswerSpan.LastNumber,
            Sampling = r.Sampling, EosTokenIds = r.EosTokenIds, Overflow = r.Overflow,
        };
        int branches = Math.Min(d.CotBranches, model.Loaded.Config.VocabSize);
        var margins = Enumerable.Range(0, branches).Select(i => (IReadOnlyList<double>)log.Where(e => e.Sequence == i && e.TokenId >= 0)
            .Select(e => CotDecoder.Margin(e.TopLogprobs.Select(t => (double)t.Logprob).ToArray())).ToList()).ToArray();
        var run = new CotRun(model.Loaded.Model, request, text, Tokens(log, branches), margins);
        return new StreamedRun(run, () =>
        {
            var result = run.Result(d.CotAggregate);
            var byBranch = result.Branches.OrderBy(b => b.Rank).ToArray();
            return new RunOutcome { Answers = byBranch.Select(b => b.Answer).ToArray(), Confidences = byBranch.Select(b => b.Confidence).ToArray(), Answer = result.Answer };
        });
    }

    static Func<int, ITokenConstraint> Json(DecodingSpec d, GenerationRequest r, LocalModel model)
    {
        var vocabulary = model.JsonVocabulary(r.EosTokenIds) ?? throw NeedsTokenizer(d.Method);
        try
        {
            var constraint = JsonConstraint.Compile(d.JsonSchema, vocabulary);
            return _ => new JsonTokenConstraint(constraint);
        }
        catch (Exception e) when (e is UnsupportedSchemaException or InvalidSchemaException)
        {
            throw new InvalidRequestException("json_schema", $"json_schema: {e.Message}");
        }
    }

    /// <summary>
    /// The served name of the draft model a speculative order runs with on this silo, null for other methods; throws
    /// <see cref="InvalidRequestException"/> when the silo has none or does not serve the one named.
    /// </summary>
    public static string? DraftOf(DecodingSpec d, LocalModel model, ModelCatalog catalog)
    {
        if (d.Method != "speculative") return null;
        var name = d.DraftModel ?? model.Spec.Draft
            ?? throw new InvalidRequestException("draft_model", $"draft_model is required: model '{model.Spec.Name}' has no draft configured on this silo (HostedModel.Draft)");
        if (!catalog.Serves(name))
            throw new InvalidRequestException("draft_model", $"draft_model '{name}' is not served by the silo running '{model.Spec.Name}' (drafts run next to their target)");
        return name;
    }

    static SpeculativeDecoder Speculative(DecodingSpec d, GenerationRequest r, LocalModel model, ModelCatalog catalog, Func<ITextStream>? text, IReadOnlyList<TokenEvent> log)
    {
        var draft = catalog.Get(DraftOf(d, model, catalog)!);
        return SpeculativeDecoder.WithDraft(model.Loaded, draft.Loaded, new ExecutorBoundModel(draft), r, d.Lookahead, text?.Invoke(), Tokens(log, 1)[0]);
    }

    static MedusaDecoder Medusa(DecodingSpec d, GenerationRequest r, LocalModel model, Func<ITextStream>? text, IReadOnlyList<TokenEvent> log)
    {
        var heads = model.Heads ?? throw new InvalidRequestException("method", $"method medusa: model '{model.Spec.Name}' has no Medusa heads on this silo (HostedModel.MedusaHeads)");
        var options = new MedusaOptions
        {
            Acceptance = d.MedusaAcceptance == "typical" ? MedusaAcceptance.Typical : MedusaAcceptance.Greedy,
            Tree = d.MedusaTree is { } tree ? MedusaTree.Parse(tree) : null,
        };
        return new MedusaDecoder(model.Loaded.Model, heads, r, options, text?.Invoke(), Tokens(log, 1)[0]);
    }

    /// <summary>Each sequence's generated token ids in the log (cancellation markers excluded).</summary>
    public static IReadOnlyList<long>[] Tokens(IReadOnlyList<TokenEvent> log, int sequences)
    {
        var tokens = Enumerable.Range(0, sequences).Select(_ => new List<long>()).ToArray();
        foreach (var e in log)
            if (e.TokenId >= 0) tokens[e.Sequence].Add(e.TokenId);
        return tokens;
    }

    static InvalidRequestException NeedsTokenizer(string method) =>
        new("method", $"method {method} needs the model's tokenizer.json (it works on token texts)");
}
