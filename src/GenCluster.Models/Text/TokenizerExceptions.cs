namespace GenCluster.Models.Text;

/// <summary>A tokenizer.json (or its companion configs) this tokenizer cannot load; the message names the file and the feature.</summary>
public sealed class TokenizerFormatException(string message) : Exception(message);

/// <summary>Text that cannot be encoded, e.g. a lone UTF-16 surrogate (not a Unicode scalar value, so it has no UTF-8 form).</summary>
public sealed class InvalidTextException(string message) : ArgumentException(message);
