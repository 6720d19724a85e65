using GenCluster.Grains.Hosting;
using Microsoft.Extensions.Configuration;

namespace GenCluster.Silo;

/// <summary>What a host process runs.</summary>
public enum HostRole
{
    /// <summary>A silo serving models and the gRPC gateway in one process (the embedded default).</summary>
    AllInOne,
    /// <summary>A silo serving models, no gateway.</summary>
    Silo,
    /// <summary>The gRPC gateway alone, as an Orleans client of the cluster.</summary>
    Gateway,
}

/// <summary>A host's configuration, bound from section "GenCluster" (appsettings.json, GENCLUSTER__* variables, --GenCluster:Key=value).</summary>
public sealed class HostSettings
{
    /// <summary>AllInOne, Silo or Gateway.</summary>
    public HostRole Role { get; set; } = HostRole.AllInOne;

    /// <summary>The gRPC port (0 picks a free one).</summary>
    public int GrpcPort { get; set; } = 50051;

    /// <summary>The HTTP/1.1 port: the OpenAI-compatible API on a gateway, /health on a model silo (0 picks a free one, -1 turns it off).</summary>
    public int HttpPort { get; set; } = 8000;

    /// <summary>When set, the OpenAI-compatible API wants "Authorization: Bearer" with this key.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The address gRPC and HTTP listen on (0.0.0.0 in containers).</summary>
    public string ListenAddress { get; set; } = "127.0.0.1";

    /// <summary>The address other silos and clients reach this silo at under Redis clustering (a pod's IP in Kubernetes;
    /// anything but loopback makes the silo listen on all interfaces).</summary>
    public string AdvertisedAddress { get; set; } = "127.0.0.1";

    /// <summary>Silo-to-silo port.</summary>
    public int SiloPort { get; set; } = 11111;

    /// <summary>The silo's port for Orleans clients (a separate gateway process connects here); 0 turns it off.</summary>
    public int OrleansGatewayPort { get; set; } = 30000;

    /// <summary>The Orleans cluster id.</summary>
    public string ClusterId { get; set; } = "gencluster";

    /// <summary>The Orleans service id (keys persisted state).</summary>
    public string ServiceId { get; set; } = "gencluster";

    /// <summary>The models this silo serves and session persistence settings.</summary>
    public ModelHostingOptions Hosting { get; set; } = new();

    /// <summary>Membership, grain state and reminder storage.</summary>
    public ClusterStorage Storage { get; set; } = new();

    /// <summary>Binds section "GenCluster" of <paramref name="configuration"/>.</summary>
    public static HostSettings From(IConfiguration configuration)
    {
        var settings = new HostSettings();
        configuration.GetSection("GenCluster").Bind(settings);
        return settings;
    }
}
