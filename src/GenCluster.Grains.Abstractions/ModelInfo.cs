namespace GenCluster.Grains;

/// <summary>A served model's shape.</summary>
[GenerateSerializer, Immutable, Alias("GenCluster.ModelInfo")]
public sealed record ModelInfo
{
    [Id(0)] public required string Name { get; init; }
    [Id(1)] public string Architecture { get; init; } = "";
    [Id(2)] public int VocabSize { get; init; }
    [Id(3)] public int MaxPositions { get; init; }
    [Id(4)] public long[] EosTokenIds { get; init; } = [];
    [Id(5)] public bool HasTokenizer { get; init; }
}

/// <summary>A model served by the cluster and how many silos host it.</summary>
[GenerateSerializer, Immutable, Alias("GenCluster.ServedModel")]
public sealed record ServedModel([property: Id(0)] string Name, [property: Id(1)] int Silos);

/// <summary>A tokenized text: ids and the piece of each.</summary>
[GenerateSerializer, Immutable, Alias("GenCluster.TokenizedText")]
public sealed record TokenizedText([property: Id(0)] long[] TokenIds, [property: Id(1)] string[] Pieces);

/// <summary>One token's text and raw bytes (a byte-level piece may hold part of a UTF-8 character), for log-prob listings.</summary>
[GenerateSerializer, Immutable, Alias("GenCluster.TokenText")]
public sealed record TokenText([property: Id(0)] string Text, [property: Id(1)] byte[] Bytes);
