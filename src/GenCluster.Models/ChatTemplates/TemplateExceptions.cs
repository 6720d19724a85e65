namespace GenCluster.Models.ChatTemplates;

/// <summary>Base of every error a chat template raises while being parsed or rendered.</summary>
public class ChatTemplateException(string message) : Exception(message);

/// <summary>The template source is not valid Jinja (message names the line).</summary>
public sealed class TemplateSyntaxException(string message, int line)
    : ChatTemplateException($"line {line}: {message}")
{
    /// <summary>1-based line of the template where parsing failed.</summary>
    public int Line { get; } = line;
}

/// <summary>Rendering failed inside the interpreter (type error, undefined value), as jinja2 would fail.</summary>
public sealed class TemplateRuntimeException(string message, int? line = null)
    : ChatTemplateException(line is int l ? $"line {l}: {message}" : message)
{
    /// <summary>1-based template line of the failing statement, once known.</summary>
    public int? Line { get; } = line;

    /// <summary>The message without the line prefix.</summary>
    public string Reason { get; } = message;
}

/// <summary>The template itself called <c>raise_exception(message)</c>; <see cref="Exception.Message"/> is the template's own text.</summary>
public sealed class TemplateRaisedException(string message) : ChatTemplateException(message);
