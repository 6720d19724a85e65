namespace GenCluster.Grains;

/// <summary>
/// What a session needs from its silo besides its model: the model's configured draft or a named draft model served next
/// to it (speculative decoding), or the model's Medusa heads. Written into the session id ("&lt;id&gt;+medusa@model") so
/// that placement, which sees only the key, puts every activation of the session (a first one, and one revived after a
/// silo failure) on a silo that can run it.
/// </summary>
public sealed record SessionNeeds
{
    /// <summary>Only the model.</summary>
    public static readonly SessionNeeds None = new();

    /// <summary>The draft configured for the model on the silo (HostedModel.Draft), served there.</summary>
    public bool ConfiguredDraft { get; init; }

    /// <summary>This draft model, served on the same silo; null for none.</summary>
    public string? Draft { get; init; }

    /// <summary>The model's Medusa heads (HostedModel.MedusaHeads).</summary>
    public bool MedusaHeads { get; init; }

    const string DraftTag = "+draft", MedusaTag = "+medusa";

    /// <summary>The needs of a decoding method; throws <see cref="InvalidRequestException"/> for a draft name ids cannot carry.</summary>
    public static SessionNeeds Of(DecodingSpec decoding) => decoding.Method switch
    {
        "speculative" when decoding.DraftModel is null => new() { ConfiguredDraft = true },
        "speculative" when decoding.DraftModel.IndexOfAny(['@', '+']) >= 0 =>
            throw new InvalidRequestException("draft_model", $"draft_model must not contain '@' or '+', got '{decoding.DraftModel}'"),
        "speculative" => new() { Draft = decoding.DraftModel },
        "medusa" => new() { MedusaHeads = true },
        _ => None,
    };

    /// <summary>The id suffix naming these needs: "", "+draft", "+draft=NAME" or "+medusa".</summary>
    public string Tag => this switch
    {
        { MedusaHeads: true } => MedusaTag,
        { Draft: { } name } => $"{DraftTag}={name}",
        { ConfiguredDraft: true } => DraftTag,
        _ => "",
    };

    /// <summary>The needs a grain key carries: those of a session id, none for a bare model name.</summary>
    public static SessionNeeds OfKey(string key)
    {
        int at = key.IndexOf('@'), plus = key.IndexOf('+');
        if (at < 0 || plus < 0 || plus > at) return None;
        var tag = key[plus..at];
        if (tag == MedusaTag) return new() { MedusaHeads = true };
        if (tag == DraftTag) return new() { ConfiguredDraft = true };
        if (tag.StartsWith(DraftTag + "=", StringComparison.Ordinal)) return new() { Draft = tag[(DraftTag.Length + 1)..] };
        throw new InvalidRequestException("session_id", $"session_id has an unknown need '{tag}'");
    }

    /// <summary>The error when no silo serving <paramref name="model"/> meets these needs.</summary>
    public InvalidRequestException Unmet(string model) => this switch
    {
        { MedusaHeads: true } => new("method", $"method medusa: no active silo serves model '{model}' with Medusa heads (HostedModel.MedusaHeads)"),
        { Draft: { } name } => new("draft_model", $"draft_model '{name}' is not served next to model '{model}' on any active silo (drafts run on their target's silo)"),
        _ => new("draft_model", $"draft_model is required: no active silo has a draft configured for model '{model}' (HostedModel.Draft)"),
    };
}
