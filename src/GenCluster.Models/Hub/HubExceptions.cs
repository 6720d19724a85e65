namespace GenCluster.Models.Hub;

/// <summary>Base of hub download failures; messages say what to change (token, name, network, offline mode).</summary>
public class HubException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>The hub answered 401/403: the token is missing, wrong, or lacks access to a gated repository.</summary>
public sealed class HubAuthenticationException(string message) : HubException(message);

/// <summary>The repository, revision or file does not exist on the hub (404).</summary>
public sealed class HubNotFoundException(string message) : HubException(message);

/// <summary>HF_HUB_OFFLINE is set and the model is not in the local cache.</summary>
public sealed class HubOfflineException(string message) : HubException(message);
