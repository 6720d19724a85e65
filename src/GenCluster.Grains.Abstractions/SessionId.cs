namespace GenCluster.Grains;

/// <summary>
/// Session ids name their model ("3f2a...@llama-tiny") so that placement can put any activation of the session,
/// including one revived after a silo failure, on a silo that hosts the model without reading state first.
/// </summary>
public static class SessionId
{
    /// <summary>A fresh id for a session of <paramref name="model"/> that needs <paramref name="needs"/> (a draft, Medusa heads) on its silo.</summary>
    public static string New(string model, SessionNeeds? needs = null) => $"{Guid.NewGuid():N}{needs?.Tag}@{model}";

    /// <summary>The model part of a session id; throws <see cref="InvalidRequestException"/> for a malformed id.</summary>
    public static string ModelOf(string sessionId)
    {
        int at = sessionId.IndexOf('@');
        if (at <= 0 || at == sessionId.Length - 1)
            throw new InvalidRequestException("session_id", $"session_id must look like <id>@<model>, got '{sessionId}'");
        return sessionId[(at + 1)..];
    }
}
