using GenCluster.Models.Text;

namespace GenCluster.Training.Medusa;

/// <summary>The training tokens of a Medusa run: a file of token ids, or text encoded with the base model's tokenizer.</summary>
public static class MedusaTokenStream
{
    static readonly char[] Separators = [' ', '\t', '\r', '\n', ','];

    /// <summary>Reads <paramref name="dataFile"/>: token ids when every field is an integer, else text (needs tokenizer.json in <paramref name="modelDir"/>).</summary>
    public static long[] Read(string dataFile, string modelDir, int vocabSize)
    {
        var content = File.ReadAllText(dataFile);
        var fields = content.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
        long[] ids;
        if (fields.Length > 0 && fields.All(f => long.TryParse(f, out _))) ids = fields.Select(long.Parse).ToArray();
        else
        {
            if (!File.Exists(Path.Combine(modelDir, "tokenizer.json")))
                throw new ArgumentException($"{dataFile} is text but {modelDir} has no tokenizer.json: give token ids (whitespace or comma separated) instead");
            var tokenizer = HfTokenizer.Load(modelDir);
            ids = content.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .SelectMany(line => tokenizer.Encode(line + "\n", addSpecialTokens: false)).Select(id => (long)id).ToArray();
        }
        var bad = ids.FirstOrDefault(id => id < 0 || id >= vocabSize, -1);
        if (bad != -1) throw new ArgumentException($"{dataFile} has token id {bad}, outside the model's vocabulary [0, {vocabSize})");
        return ids;
    }
}
