namespace GenCluster.Decoding.Json;

/// <summary>
/// The JSON constraint allows no token: the value needs a character that the vocabulary has only as pieces of a
/// multi-byte UTF-8 character (or not at all), e.g. an enum value in a script the tokenizer splits into bytes.
/// </summary>
public sealed class JsonDeadEndException()
    : Exception("no token of the vocabulary can continue the JSON value here: the schema needs a character the vocabulary has no whole-character token for (see TokenVocabulary); change the schema's literal or the tokenizer");
