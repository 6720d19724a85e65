using GenCluster.Gateway.V1;
using GenCluster.Grains;

namespace GenCluster.Gateway;

/// <summary>Turns a gRPC <see cref="GenerateRequest"/> into a cluster <see cref="GenerationOrder"/> (tokenizing text and chat on a model silo).</summary>
public static class RequestTranslation
{
    /// <summary>The served model a request names, or the only served model when it names none.</summary>
    public static async Task<string> ResolveModelAsync(IGrainFactory grains, string requested)
    {
        var served = await grains.GetGrain<IModelDirectoryGrain>(0).List();
        if (requested.Length > 0)
            return served.Any(m => m.Name == requested) ? requested : throw new ModelNotServedException(requested);
        return served.Count == 1 ? served[0].Name
            : throw new InvalidRequestException("model", $"model is required: the cluster serves {(served.Count == 0 ? "no model" : string.Join(", ", served.Select(m => m.Name)))}");
    }

    /// <summary>Every served model with its shape (a Describe call per model, answered by a silo that serves it).</summary>
    public static async Task<IReadOnlyList<(ServedModel Served, ModelInfo Info)>> DescribeServedAsync(IGrainFactory grains)
    {
        var models = new List<(ServedModel, ModelInfo)>();
        foreach (var served in await grains.GetGrain<IModelDirectoryGrain>(0).List())
            models.Add((served, await grains.GetGrain<IModelGrain>(served.Name).Describe()));
        return models;
    }

    /// <summary>The order for <paramref name="request"/> on <paramref name="model"/>; <paramref name="seed"/> is used when the request sets none.</summary>
    public static async Task<GenerationOrder> ToOrderAsync(IGrainFactory grains, GenerateRequest request, string model, ulong seed)
    {
        var modelGrain = grains.GetGrain<IModelGrain>(model);
        long[] prompt = request.InputCase switch
        {
            GenerateRequest.InputOneofCase.Prompt => (await modelGrain.Tokenize(request.Prompt)).TokenIds,
            GenerateRequest.InputOneofCase.InputIds => request.InputIds.Ids.ToArray(),
            GenerateRequest.InputOneofCase.Messages => (await modelGrain.TokenizeChat(request.Messages.Messages.Select(m => new ChatTurn(m.Role, m.Content)).ToArray())).TokenIds,
            _ => throw new InvalidRequestException("prompt", "prompt is required: set prompt, input_ids or messages"),
        };
        bool strategy = DecodingSpec.Strategies.Contains(request.Method);
        return new GenerationOrder
        {
            Model = model, Prompts = [prompt], Sampling = Sampling(request.Sampling ?? new SamplingParameters(), strategy ? "" : request.Method),
            Decoding = strategy ? Decoding(request.Method, request.Decoding ?? new DecodingParameters()) : new DecodingSpec(),
            EosTokenIds = request.EosTokenIds.Count > 0 ? request.EosTokenIds.ToArray() : null,
            ContextOverflow = request.ContextOverflow.Length > 0 ? request.ContextOverflow : "error",
            DefaultSeed = seed, CancelOnDisconnect = request.CancelOnDisconnect,
        };
    }

    /// <summary>The strategy <paramref name="method"/> with the request's parameters; unset fields keep the CLI's defaults.</summary>
    public static DecodingSpec Decoding(string method, DecodingParameters p)
    {
        var d = new DecodingSpec();
        return new DecodingSpec
        {
            Method = method,
            NumBeams = p.HasNumBeams ? p.NumBeams : d.NumBeams,
            EarlyStopping = p.HasEarlyStopping ? p.EarlyStopping.Trim().ToLowerInvariant() : d.EarlyStopping,
            LengthPenalty = p.HasLengthPenalty ? p.LengthPenalty : d.LengthPenalty,
            NumReturnSequences = p.HasNumReturnSequences ? p.NumReturnSequences : d.NumReturnSequences,
            CotBranches = p.HasCotBranches ? p.CotBranches : d.CotBranches,
            CotAnswerRegex = p.HasCotAnswerRegex ? p.CotAnswerRegex : d.CotAnswerRegex,
            CotAggregate = p.HasCotAggregate ? p.CotAggregate : d.CotAggregate,
            JsonSchema = p.HasJsonSchema ? p.JsonSchema : d.JsonSchema,
            DraftModel = p.HasDraftModel ? p.DraftModel : d.DraftModel,
            Lookahead = p.HasLookahead ? p.Lookahead : d.Lookahead,
            PromptLookupNgram = p.HasPromptLookupNgram ? p.PromptLookupNgram : d.PromptLookupNgram,
            MedusaAcceptance = p.HasMedusaAcceptance ? p.MedusaAcceptance : d.MedusaAcceptance,
            MedusaTree = p.HasMedusaTree ? p.MedusaTree : d.MedusaTree,
        };
    }

    /// <summary>Unset fields keep SamplingParams' defaults; without a method or do_sample, any sampling field turns sampling on (as the CLI does).</summary>
    public static SamplingSpec Sampling(SamplingParameters p, string method)
    {
        var d = new SamplingSpec();
        bool samplingField = p.HasTemperature || p.HasTopK || p.HasTopP || p.HasMinP || p.HasTypicalP || p.HasEpsilonCutoff || p.HasEtaCutoff;
        return new SamplingSpec
        {
            DoSample = p.HasDoSample ? p.DoSample : samplingField,
            Temperature = p.HasTemperature ? p.Temperature : d.Temperature,
            TopK = p.HasTopK ? p.TopK : d.TopK,
            TopP = p.HasTopP ? p.TopP : d.TopP,
            MinP = p.HasMinP ? p.MinP : d.MinP,
            TypicalP = p.HasTypicalP ? p.TypicalP : d.TypicalP,
            EpsilonCutoff = p.HasEpsilonCutoff ? p.EpsilonCutoff : d.EpsilonCutoff,
            EtaCutoff = p.HasEtaCutoff ? p.EtaCutoff : d.EtaCutoff,
            RepetitionPenalty = p.HasRepetitionPenalty ? p.RepetitionPenalty : d.RepetitionPenalty,
            NoRepeatNgramSize = p.HasNoRepeatNgramSize ? p.NoRepeatNgramSize : d.NoRepeatNgramSize,
            MinNewTokens = p.HasMinNewTokens ? p.MinNewTokens : d.MinNewTokens,
            MaxNewTokens = p.HasMaxNewTokens ? p.MaxNewTokens : d.MaxNewTokens,
            PresencePenalty = p.HasPresencePenalty ? p.PresencePenalty : d.PresencePenalty,
            FrequencyPenalty = p.HasFrequencyPenalty ? p.FrequencyPenalty : d.FrequencyPenalty,
            LogitBias = p.LogitBias.Count > 0 ? p.LogitBias.ToDictionary(kv => kv.Key, kv => kv.Value) : null,
            Seed = p.HasSeed ? p.Seed : null,
            Stop = p.Stop.ToArray(),
            StopTokenIds = p.StopTokenIds.ToArray(),
            N = p.HasN ? p.N : d.N,
            TopLogprobs = p.HasTopLogprobs ? p.TopLogprobs : d.TopLogprobs,
            Method = method.Length > 0 ? method : null,
        };
    }
}
