using System.CommandLine;

namespace GenCluster.Cli;

/// <summary>Builds options that accept both the classic underscore spelling (--max_new_tokens) and kebab-case (--max-new-tokens).</summary>
internal static class CliOption
{
    public static Option<T> Create<T>(string name, string description, params string[] aliases)
    {
        var all = aliases.ToList();
        var kebab = name.Replace('_', '-');
        if (kebab != name) all.Add(kebab);
        var snake = name[..2] + name[2..].Replace('-', '_');
        if (snake != name && !all.Contains(snake)) all.Add(snake);
        return new Option<T>(name, all.ToArray()) { Description = description };
    }

    public static Option<T> WithDefault<T>(this Option<T> option, T value)
    {
        option.DefaultValueFactory = _ => value;
        return option;
    }
}

/// <summary>Bad command-line input: printed with exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
