using System.Globalization;
using System.Text;

namespace GenCluster.Models.ChatTemplates;

/// <summary>Kinds of template tokens.</summary>
enum TokenKind { Text, VarBegin, VarEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, Eof }

/// <summary>One token with its 1-based source line.</summary>
readonly record struct Token(TokenKind Kind, string Value, int Line);

/// <summary>
/// Splits a template into text and tag tokens with the whitespace rules transformers configures:
/// trim_blocks (drop the first newline after a block or comment tag), lstrip_blocks (drop spaces and tabs
/// before a block or comment tag that starts its line), '-' on a tag side strips all whitespace on that
/// side, '+' disables lstrip/trim. Follows jinja2 3.1's lexer (including its line_starting rule).
/// </summary>
sealed class TemplateLexer
{
    static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", ";"];

    readonly string src;
    readonly List<Token> tokens = [];
    int pos;
    int line = 1;

    TemplateLexer(string source)
    {
        // jinja2 normalises newlines and drops a single trailing newline (keep_trailing_newline=False).
        src = source.Replace("\r\n", "\n").Replace('\r', '\n');
        if (src.EndsWith('\n')) src = src[..^1];
    }

    /// <summary>Tokenizes a whole template.</summary>
    public static List<Token> Tokenize(string source)
    {
        var lexer = new TemplateLexer(source);
        lexer.Run();
        return lexer.tokens;
    }

    void Run()
    {
        bool lineStarting = true;
        while (pos < src.Length)
        {
            int tag = FindTagStart(pos);
            string text = src[pos..(tag < 0 ? src.Length : tag)];
            if (tag < 0) { Emit(TokenKind.Text, text); break; }
            char kind = src[tag + 1];
            char sign = tag + 2 < src.Length ? src[tag + 2] : '\0';
            if (sign == '-') text = text.TrimEnd();
            else if (sign != '+' && kind != '{')
            {
                int lpos = text.LastIndexOf('\n') + 1;
                if ((lpos > 0 || lineStarting) && lpos < text.Length && text[lpos..].All(c => c is ' ' or '\t'))
                    text = text[..lpos];
            }
            Emit(TokenKind.Text, text);
            pos = tag + 2 + (sign is '-' or '+' ? 1 : 0);
            lineStarting = kind switch
            {
                '#' => SkipComment(),
                '{' => LexTag(TokenKind.VarBegin, TokenKind.VarEnd, '}', trimNewline: false),
                _ => LexTag(TokenKind.BlockBegin, TokenKind.BlockEnd, '%', trimNewline: true),
            };
        }
        tokens.Add(new Token(TokenKind.Eof, "", line));
    }

    int FindTagStart(int from)
    {
        for (int i = src.IndexOf('{', from); i >= 0 && i + 1 < src.Length; i = src.IndexOf('{', i + 1))
            if (src[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    void Emit(TokenKind kind, string value)
    {
        if (kind == TokenKind.Text && value.Length == 0) return;
        tokens.Add(new Token(kind, value, line));
        line += value.Count(c => c == '\n');
    }

    /// <summary>Consumes the end of a tag: '-' strips following whitespace, else trim_blocks may eat one newline.</summary>
    bool FinishTag(int endStart, int endLength, bool strip, bool plus, bool trimNewline)
    {
        line += src[pos..endStart].Count(c => c == '\n');
        pos = endStart + endLength;
        int from = pos;
        if (strip) while (pos < src.Length && char.IsWhiteSpace(src[pos])) pos++;
        else if (!plus && trimNewline && pos < src.Length && src[pos] == '\n') pos++;
        line += src[from..pos].Count(c => c == '\n');
        return pos > 0 && src[pos - 1] == '\n';
    }

    bool SkipComment()
    {
        int end = src.IndexOf("#}", pos, StringComparison.Ordinal);
        if (end < 0) throw new TemplateSyntaxException("unclosed comment", line);
        bool strip = end > pos && src[end - 1] == '-';
        bool plus = end > pos && src[end - 1] == '+';
        return FinishTag(end - (strip || plus ? 1 : 0), 2 + (strip || plus ? 1 : 0), strip, plus, trimNewline: true);
    }

    bool LexTag(TokenKind begin, TokenKind end, char closer, bool trimNewline)
    {
        tokens.Add(new Token(begin, "", line));
        while (true)
        {
            while (pos < src.Length && char.IsWhiteSpace(src[pos])) { if (src[pos] == '\n') line++; pos++; }
            if (pos >= src.Length) throw new TemplateSyntaxException("unclosed tag", line);
            char c = src[pos];
            if ((c is '-' or '+') && At(pos + 1, closer) && At(pos + 2, '}'))
            {
                tokens.Add(new Token(end, "", line));
                return FinishTag(pos, 3, strip: c == '-', plus: c == '+', trimNewline);
            }
            if (c == closer && At(pos + 1, '}'))
            {
                tokens.Add(new Token(end, "", line));
                return FinishTag(pos, 2, strip: false, plus: false, trimNewline);
            }
            if (char.IsLetter(c) || c == '_') LexName();
            else if (char.IsAsciiDigit(c)) LexNumber();
            else if (c is '\'' or '"') LexString(c);
            else LexOperator();
        }
    }

    bool At(int i, char c) => i < src.Length && src[i] == c;

    void LexName()
    {
        int start = pos;
        while (pos < src.Length && (char.IsLetterOrDigit(src[pos]) || src[pos] == '_')) pos++;
        tokens.Add(new Token(TokenKind.Name, src[start..pos], line));
    }

    void LexNumber()
    {
        int start = pos;
        while (pos < src.Length && (char.IsAsciiDigit(src[pos]) || src[pos] == '_')) pos++;
        bool isFloat = false;
        if (At(pos, '.') && pos + 1 < src.Length && char.IsAsciiDigit(src[pos + 1]))
        {
            isFloat = true;
            pos++;
            while (pos < src.Length && (char.IsAsciiDigit(src[pos]) || src[pos] == '_')) pos++;
        }
        if (pos < src.Length && src[pos] is 'e' or 'E' && pos + 1 < src.Length && (char.IsAsciiDigit(src[pos + 1]) || src[pos + 1] is '+' or '-'))
        {
            isFloat = true;
            pos += 2;
            while (pos < src.Length && char.IsAsciiDigit(src[pos])) pos++;
        }
        string text = src[start..pos].Replace("_", "");
        tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Integer, text, line));
    }

    /// <summary>A quoted string with Python's unicode-escape rules (unknown escapes keep their backslash).</summary>
    void LexString(char quote)
    {
        int startLine = line;
        var sb = new StringBuilder();
        pos++;
        while (true)
        {
            if (pos >= src.Length) throw new TemplateSyntaxException("unterminated string", startLine);
            char c = src[pos++];
            if (c == quote) break;
            if (c == '\n') line++;
            if (c != '\\' || pos >= src.Length) { sb.Append(c); continue; }
            char e = src[pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case '\n': line++; break;
                case 'x': sb.Append(HexEscape(2)); break;
                case 'u': sb.Append(HexEscape(4)); break;
                case 'U': sb.Append(HexEscape(8)); break;
                default: sb.Append('\\').Append(e); break;
            }
        }
        tokens.Add(new Token(TokenKind.String, sb.ToString(), startLine));
    }

    string HexEscape(int digits)
    {
        if (pos + digits > src.Length) throw new TemplateSyntaxException("truncated \\x/\\u escape", line);
        int cp = int.Parse(src.AsSpan(pos, digits), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
        pos += digits;
        return char.ConvertFromUtf32(cp);
    }

    void LexOperator()
    {
        foreach (var op in Operators)
        {
            if (string.CompareOrdinal(src, pos, op, 0, op.Length) != 0) continue;
            tokens.Add(new Token(TokenKind.Operator, op, line));
            pos += op.Length;
            return;
        }
        throw new TemplateSyntaxException($"unexpected character '{src[pos]}'", line);
    }
}
