using GenCluster.Models.Medusa;
using GenCluster.Models.Runtime;
using GenCluster.Models.SafeTensors;
using GenCluster.TestSupport;
using static TorchSharp.torch;

namespace GenCluster.Models.Tests.Medusa;

/// <summary>Medusa heads in vLLM's format against transformers' reference outputs (golden/medusa.json).</summary>
public class MedusaHeadsTests
{
    static void AssertClose(float[] expected, float[] actual, float tolerance = 1e-4f)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance, $"index {i}: expected {expected[i]}, got {actual[i]}");
    }

    [Fact]
    public void HeadsOnLlamaTinyHiddenStatesReproduceTheGoldenLogits()
    {
        using var golden = Fixtures.Golden("medusa.json");
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var heads = MedusaHeads.Load(Fixtures.Model("llama-tiny-medusa"));
        Assert.Equal(new MedusaConfig(4, 1, 64, 512), heads.Config);
        foreach (var c in golden.RootElement.GetProperty("cases").EnumerateArray())
        {
            var prompt = Fixtures.ReadLongs(c.GetProperty("prompt"));
            using var cache = loaded.Model.CreateCache(1);
            using var r = loaded.Model.Forward(ForwardRequest.Single(prompt) with { ReturnHidden = true }, cache);
            AssertClose(Fixtures.ReadFloats(c.GetProperty("hidden_last")), r.Hidden![0, 0].data<float>().ToArray());
            using var logits = heads.Forward(r.Hidden[0, 0]);
            var expected = c.GetProperty("head_logits_last").EnumerateArray().Select(Fixtures.ReadFloats).ToArray();
            for (int k = 0; k < 4; k++) AssertClose(expected[k], logits[k].data<float>().ToArray());
            Assert.Equal(Fixtures.ReadLongs(c.GetProperty("head_argmax_last")), logits.argmax(-1).data<long>().ToArray());
        }
    }

    [Fact]
    public void TopTokensOnTheKernelsAreTheGoldenArgmaxAndTorchTopk()
    {
        using var golden = Fixtures.Golden("medusa.json");
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var heads = MedusaHeads.Load(Fixtures.Model("llama-tiny-medusa"));
        int[] counts = [6, 4, 3, 1];
        foreach (var c in golden.RootElement.GetProperty("cases").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            using var cache = loaded.Model.CreateCache(1);
            using var r = loaded.Model.Forward(ForwardRequest.Single(Fixtures.ReadLongs(c.GetProperty("prompt"))) with { ReturnHidden = true }, cache);
            var fused = heads.TopTokens(r.Hidden![0, 0], counts);
            Assert.Equal(Fixtures.ReadLongs(c.GetProperty("head_argmax_last")), fused.Select(t => t[0]).ToArray());
            heads.UseKernels = false;
            var torchTop = heads.TopTokens(r.Hidden[0, 0], counts);
            heads.UseKernels = true;
            Assert.Equal(counts, fused.Select(t => t.Length).ToArray());
            for (int k = 0; k < counts.Length; k++) Assert.Equal(torchTop[k], fused[k]);
        }
    }

    [Fact]
    public void PrefixedNamesLoadAndSavedHeadsLoadBackIdentical()
    {
        using var heads = MedusaHeads.Load(Fixtures.Model("llama-tiny-medusa"));
        var dir = Directory.CreateTempSubdirectory("medusa-heads-").FullName;
        try
        {
            var prefixed = Path.Combine(dir, "prefixed");
            Directory.CreateDirectory(prefixed);
            File.Copy(Path.Combine(Fixtures.Model("llama-tiny-medusa"), "config.json"), Path.Combine(prefixed, "config.json"));
            SafeTensorsWriter.Write(Path.Combine(prefixed, "model.safetensors"), heads.Named().Select(kv => KeyValuePair.Create("medusa_heads." + kv.Key, kv.Value)), ScalarType.Float32);
            heads.Save(Path.Combine(dir, "saved"));
            using var hidden = randn(3, 64, generator: new TorchSharp.torch.Generator(7));
            using var expected = heads.Forward(hidden);
            foreach (var copy in new[] { prefixed, Path.Combine(dir, "saved") })
            {
                using var reloaded = MedusaHeads.Load(copy);
                using var actual = reloaded.Forward(hidden);
                Assert.True(expected.equal(actual).all().item<bool>(), copy);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void HeadsSharingOneOriginalLmHeadEqualHeadsWithACopyEachAndSaveItOnce()
    {
        using var golden = Fixtures.Golden("medusa.json");
        using var loaded = ModelLoader.Load(Fixtures.Model("llama-tiny"));
        using var separate = MedusaHeads.Load(Fixtures.Model("llama-tiny-medusa"));
        var named = separate.Named().ToDictionary(kv => kv.Key, kv => kv.Value);
        var config = separate.Config with { OriginalLmHead = true };
        Tensor[][] Blocks() => Enumerable.Range(0, 4).Select(k => new[] { named[MedusaHeads.LayerName(k, 0, "weight")].clone() }).ToArray();
        Tensor?[][] Biases() => Enumerable.Range(0, 4).Select(k => new Tensor?[] { named[MedusaHeads.LayerName(k, 0, "bias")].clone() }).ToArray();
        var lmHead = named[MedusaHeads.LmHeadName(1)];
        var dir = Directory.CreateTempSubdirectory("medusa-shared-").FullName;
        try
        {
            using (var built = new MedusaHeads(config, Blocks(), Biases(), [lmHead.clone()])) built.Save(dir);
            using var shared = MedusaHeads.Load(dir);
            using var copies = new MedusaHeads(separate.Config, Blocks(), Biases(), Enumerable.Range(0, 4).Select(_ => lmHead.clone()).ToArray());
            using var file = new SafeTensorsFile(Path.Combine(dir, "model.safetensors"));
            Assert.Equal([MedusaHeads.SharedLmHeadName], file.Tensors.Keys.Where(n => n.Contains("lm_head")).ToArray());
            Assert.True(shared.Config.OriginalLmHead);

            int[] counts = [5, 3, 2, 1];
            foreach (var c in golden.RootElement.GetProperty("cases").EnumerateArray())
            {
                using var cache = loaded.Model.CreateCache(1);
                using var r = loaded.Model.Forward(ForwardRequest.Single(Fixtures.ReadLongs(c.GetProperty("prompt"))) with { ReturnHidden = true }, cache);
                using var expected = copies.Forward(r.Hidden![0, 0]);
                using var actual = shared.Forward(r.Hidden[0, 0]);
                Assert.True(expected.allclose(actual, rtol: 1e-5, atol: 1e-5));
                var fused = shared.TopTokens(r.Hidden[0, 0], counts);
                for (int k = 0; k < counts.Length; k++) Assert.Equal(expected[k].topk(counts[k]).indexes.data<long>().ToArray(), fused[k]);
            }
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void AModelFolderIsRejectedWithAClearMessage()
    {
        var e = Assert.Throws<CheckpointFormatException>(() => MedusaHeads.Load(Fixtures.Model("llama-tiny")));
        Assert.Contains("num_heads", e.Message);
        Assert.Throws<ModelFileMissingException>(() => MedusaHeads.Load("/nonexistent/heads"));
    }
}
