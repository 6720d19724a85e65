namespace GenCluster.Grains.Hosting;

/// <summary>A model a silo serves: its name in requests, its folder and where its weights live.</summary>
public sealed record HostedModel
{
    /// <summary>The name clients ask for (e.g. "default", "llama-tiny").</summary>
    public required string Name { get; init; }

    /// <summary>The Hugging Face model folder (config.json + safetensors).</summary>
    public required string Dir { get; init; }

    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>"auto", "float32", "bfloat16", "float16" or "int8" (as --dtype).</summary>
    public string Dtype { get; init; } = "auto";

    /// <summary>KV-cache budget in token slots (rows x capacity) across the sessions admitted at once.</summary>
    public long KvTokenBudget { get; init; } = 1 << 20;

    /// <summary>How long a session waits for KV room before it is refused.</summary>
    public TimeSpan AdmissionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The served name of another model of the same silo that drafts for this one (method speculative); null for none.</summary>
    public string? Draft { get; init; }

    /// <summary>A Medusa heads folder (vLLM format) trained for this model, loaded beside it (method medusa); null for none.</summary>
    public string? MedusaHeads { get; init; }

    /// <summary>
    /// "speculative" (with <see cref="Draft"/>), "medusa" (with <see cref="MedusaHeads"/>, greedy acceptance) or
    /// "prompt_lookup": the method this silo runs plain single-sequence requests with (one prompt, n = 1, no top
    /// log-probs), as vLLM applies its speculative config to every request; null runs them as asked. Greedy output stays
    /// token for token the same; sampled output keeps the target's distribution.
    /// </summary>
    public string? Accelerate { get; init; }

    /// <summary>Whether <see cref="Accelerate"/> names a method this model has what it needs for (its draft, its heads).</summary>
    public bool CanAccelerate => Accelerate switch
    {
        "speculative" => Draft is not null,
        "medusa" => MedusaHeads is not null,
        "prompt_lookup" => true,
        _ => false,
    };

    /// <summary>
    /// Whether the decode steps of concurrent sessions run as one batched forward (continuous batching, see
    /// ModelExecutor); false runs them one after another, round-robin (for comparisons).
    /// </summary>
    public bool BatchDecodeSteps { get; init; } = true;
}

/// <summary>What a silo serves and how its sessions persist: bound from configuration section "GenCluster".</summary>
public sealed class ModelHostingOptions
{
    /// <summary>The models this silo hosts (announced to the cluster in the silo's metadata).</summary>
    public List<HostedModel> Models { get; set; } = [];

    /// <summary>A running session writes its state after this many new tokens (and always at the end).</summary>
    public int PersistEveryTokens { get; set; } = 8;

    /// <summary>The most events a watcher receives in one batch.</summary>
    public int MaxEventsPerBatch { get; set; } = 256;

    /// <summary>
    /// After a batch, how long a watcher lets the next events gather before they are sent (a watch's first event always
    /// goes at once). Each batch costs a grain message and a network write whatever its size, work that competes with
    /// the decode loop for the CPU (bench/cluster: on 2 cores a 3 ms step of the shipped model ran 12% slower inside the
    /// silo with 4 ms, when nearly every token was its own message; with 16 ms, about 40 messages per 200 tokens, the
    /// stream ran at 0.97-1.01x in-process). The session takes its decode loop's outputs at the same pace (one grain
    /// turn per linger, not per step). 16 ms is under one frame of a 60 Hz display. Zero sends every step's events as
    /// they come.
    /// </summary>
    public TimeSpan BatchLinger { get; set; } = TimeSpan.FromMilliseconds(16);

    /// <summary>How often a durable reminder makes sure a running session runs somewhere (it resumes sessions whose silo died
    /// with no watcher to revive them); reminders do not fire more often than the cluster's ReminderOptions.MinimumReminderPeriod.</summary>
    public TimeSpan ResumeCheckPeriod { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Finished sessions are forgotten this long after they end.</summary>
    public TimeSpan FinishedSessionTtl { get; set; } = TimeSpan.FromHours(1);
}
