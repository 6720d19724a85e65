using System.Diagnostics;
using System.Text;
using System.Text.Json;
using GenCluster.Models.ChatTemplates;
using GenCluster.Models.Text;
using GenCluster.TestSupport;

// Usage: dotnet run -c Release --project bench/TextBench   (writes bench/results/text.json)
string root = Fixtures.RepoRoot;
string gpt2Dir = Path.Combine(root, "tests", "GenCluster.Models.Tests", "TestData", "tokenizers", "gpt2");

static double Seconds(Action action, int repeat = 1)
{
    action(); // warm-up (JIT, caches)
    var watch = Stopwatch.StartNew();
    for (int i = 0; i < repeat; i++) action();
    return watch.Elapsed.TotalSeconds / repeat;
}

const string Paragraph = "The quick brown fox jumps over the lazy dog. Numbers 1234567 and 3.14159; emoji 😀👍🏽, CJK 中文字符, "
    + "Korean 한국어, combining e\u0301. Code: for (int i = 0; i < n; i++) { sum += x[i]; }\n";
string text = string.Concat(Enumerable.Repeat(Paragraph, 4000));
double megabytes = Encoding.UTF8.GetByteCount(text) / 1e6;

var loadWatch = Stopwatch.StartNew();
var gpt2 = HfTokenizer.Load(gpt2Dir);
double loadSeconds = loadWatch.Elapsed.TotalSeconds;
int[] ids = gpt2.Encode(text, addSpecialTokens: false);
double encodeSeconds = Seconds(() => gpt2.Encode(text, addSpecialTokens: false), 3);
double decodeSeconds = Seconds(() => gpt2.Decode(ids), 3);
double streamSeconds = Seconds(() =>
{
    var stream = gpt2.CreateDetokenizer();
    foreach (int id in ids) stream.Push(id);
    stream.Flush();
});

string templateSource = File.ReadAllText(Path.Combine(Fixtures.Dir, "chat_templates", "templates", "meta-llama-Llama-3.1-8B-Instruct.jinja"));
using var cases = JsonDocument.Parse(File.ReadAllText(Path.Combine(Fixtures.Dir, "chat_templates", "cases.json")));
var toolCase = cases.RootElement.EnumerateArray().First(c =>
    c.GetProperty("template").GetString() == "meta-llama-Llama-3.1-8B-Instruct" && c.GetProperty("conversation").GetString() == "tool_call");
double parseSeconds = Seconds(() => _ = new ChatTemplate(templateSource, "<|begin_of_text|>", "<|eot_id|>"), 200);
var template = new ChatTemplate(templateSource, "<|begin_of_text|>", "<|eot_id|>");
double renderSeconds = Seconds(() => template.Render(toolCase.GetProperty("messages"), true, toolCase.GetProperty("tools")), 2000);

var result = new
{
    machine = new { Environment.ProcessorCount, os = Environment.OSVersion.ToString(), dotnet = Environment.Version.ToString() },
    date = DateTime.UtcNow.ToString("yyyy-MM-dd"),
    tokenizer = new
    {
        model = "gpt2 (byte-level BPE, Microsoft.ML.Tokenizers merges)",
        load_seconds = Math.Round(loadSeconds, 3),
        text_megabytes = Math.Round(megabytes, 2),
        tokens = ids.Length,
        encode_mb_per_second = Math.Round(megabytes / encodeSeconds, 2),
        decode_mb_per_second = Math.Round(megabytes / decodeSeconds, 2),
        incremental_detokenizer_ns_per_token = Math.Round(streamSeconds / ids.Length * 1e9, 1),
    },
    chat_template = new
    {
        template = "meta-llama-Llama-3.1-8B-Instruct (tool_call conversation, tools)",
        parse_microseconds = Math.Round(parseSeconds * 1e6, 1),
        render_microseconds = Math.Round(renderSeconds * 1e6, 1),
    },
};
string json = JsonSerializer.Serialize(result, new JsonSerializerOptions { WriteIndented = true });
string outDir = Path.Combine(root, "bench", "results");
Directory.CreateDirectory(outDir);
File.WriteAllText(Path.Combine(outDir, "text.json"), json + "\n");
Console.WriteLine(json);
