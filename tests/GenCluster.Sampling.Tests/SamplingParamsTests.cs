using TorchSharp;

namespace GenCluster.Sampling.Tests;

public class SamplingParamsTests
{
    public static TheoryData<string, SamplingParams> InvalidParams() => new()
    {
        { "temperature", new SamplingParams { Temperature = -0.1 } },
        { "temperature", new SamplingParams { Temperature = double.NaN } },
        { "top_k", new SamplingParams { TopK = -1 } },
        { "top_p", new SamplingParams { TopP = 0 } },
        { "top_p", new SamplingParams { TopP = 1.5 } },
        { "min_p", new SamplingParams { MinP = -0.01 } },
        { "min_p", new SamplingParams { MinP = 1.01 } },
        { "typical_p", new SamplingParams { TypicalP = 0 } },
        { "typical_p", new SamplingParams { TypicalP = 1.2 } },
        { "epsilon_cutoff", new SamplingParams { EpsilonCutoff = 1 } },
        { "epsilon_cutoff", new SamplingParams { EpsilonCutoff = -1e-4 } },
        { "eta_cutoff", new SamplingParams { EtaCutoff = 1 } },
        { "repetition_penalty", new SamplingParams { RepetitionPenalty = 0 } },
        { "repetition_penalty", new SamplingParams { RepetitionPenalty = double.PositiveInfinity } },
        { "presence_penalty", new SamplingParams { PresencePenalty = 2.5 } },
        { "frequency_penalty", new SamplingParams { FrequencyPenalty = -2.5 } },
        { "no_repeat_ngram_size", new SamplingParams { NoRepeatNgramSize = -1 } },
        { "max_new_tokens", new SamplingParams { MaxNewTokens = 0 } },
        { "min_new_tokens", new SamplingParams { MinNewTokens = -1 } },
        { "min_new_tokens", new SamplingParams { MinNewTokens = 10, MaxNewTokens = 5 } },
        { "min_tokens_to_keep", new SamplingParams { MinTokensToKeep = 0 } },
        { "n", new SamplingParams { N = 0 } },
        { "top_logprobs", new SamplingParams { TopLogprobs = 21 } },
        { "stop_token_ids", new SamplingParams { StopTokenIds = [-3] } },
        { "stop", new SamplingParams { Stop = [""] } },
        { "logit_bias[5]", new SamplingParams { LogitBias = new Dictionary<long, double> { [5] = 101 } } },
        { "logit_bias", new SamplingParams { LogitBias = new Dictionary<long, double> { [-1] = 1 } } },
    };

    [Theory]
    [MemberData(nameof(InvalidParams))]
    public void ValidateRejectsOutOfRangeValueNamingFieldValueAndRange(string field, SamplingParams p)
    {
        var e = Assert.Throws<SamplingParamsException>(() => p.Validate());
        Assert.Equal(field, e.Field);
        Assert.StartsWith(field + " must be ", e.Message);
        Assert.Contains(", got ", e.Message);
        Assert.NotEmpty(e.Allowed);
    }

    [Fact]
    public void TopPMessageReadsAsTheIssueExample()
    {
        var e = Assert.Throws<SamplingParamsException>(() => new SamplingParams { TopP = 1.5 }.Validate());
        Assert.Equal("top_p must be in (0, 1], got 1.5", e.Message);
        Assert.IsAssignableFrom<ArgumentException>(e);
    }

    [Fact]
    public void BuildValidatesTheParams()
    {
        Assert.Throws<SamplingParamsException>(() => LogitsPipeline.Build(new SamplingParams { TopK = -2 }, 0, [2]));
    }

    [Fact]
    public void DefaultsAreValidAndLeaveEveryProcessorOff()
    {
        var sampling = new SamplingParams { DoSample = true }.Validate();
        Assert.Empty(((LogitsChain)LogitsPipeline.Build(sampling, 3, [2])).Stages);
        Assert.Empty(((LogitsChain)LogitsPipeline.Build(new SamplingParams(), 3, [2])).Stages);
    }

    [Fact]
    public void InitPropertiesSetOneFieldAndKeepTheOtherDefaults()
    {
        var p = new SamplingParams { TopK = 5, DoSample = true };
        Assert.Equal(new SamplingParams() with { TopK = 5, DoSample = true }, p);
        Assert.Equal(1.0, p.TopP);
        Assert.Equal(1, p.MinTokensToKeep);
    }

    [Fact]
    public void TemperatureZeroIsGreedyAndAppliesNoWarper()
    {
        var p = new SamplingParams { DoSample = true, Temperature = 0, TopK = 5, RepetitionPenalty = 1.2 };
        Assert.True(p.IsGreedy);
        var chain = (LogitsChain)LogitsPipeline.Build(p, 3, [2]);
        Assert.Equal(["RepetitionPenalty"], chain.Stages.Select(s => s.GetType().Name));
        using var ids = torch.tensor(new long[] { 1, 2, 3 }).unsqueeze(0);
        using var scores = torch.tensor(new float[] { 0.5f, 3f, 1f, 2f, -1f }).unsqueeze(0);
        using var processed = chain.Process(ids, scores);
        Assert.Equal(new[] { 0.5f, 2.5f, 1f / 1.2f, 2f / 1.2f, -1f }, processed[0].data<float>().ToArray());
    }
}
