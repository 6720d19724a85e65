using System.Globalization;
using System.Text;

namespace GenCluster.Models.ChatTemplates;

/// <summary>Python/C strftime in the C locale, for the <c>strftime_now(format)</c> global (Llama 3.2 prints "15 Jan 2026").</summary>
public static class Strftime
{
    /// <summary>Formats <paramref name="time"/> with %-directives (%d %b %Y %H ...; glibc's "%-d" drops padding).</summary>
    public static string Format(DateTime time, string format)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            bool unpadded = format[i + 1] == '-' && i + 2 < format.Length;
            char d = format[unpadded ? i += 2 : ++i];
            string field = d switch
            {
                'a' => time.ToString("ddd", c),
                'A' => time.ToString("dddd", c),
                'b' or 'h' => time.ToString("MMM", c),
                'B' => time.ToString("MMMM", c),
                'd' => time.ToString("dd", c),
                'e' => time.Day.ToString(c).PadLeft(2),
                'm' => time.ToString("MM", c),
                'y' => time.ToString("yy", c),
                'Y' => time.Year.ToString(c),
                'H' => time.ToString("HH", c),
                'I' => time.ToString("hh", c),
                'M' => time.ToString("mm", c),
                'S' => time.ToString("ss", c),
                'p' => time.Hour < 12 ? "AM" : "PM",
                'j' => time.DayOfYear.ToString("000", c),
                'f' => (time.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", c),
                'F' => time.ToString("yyyy-MM-dd", c),
                'T' => time.ToString("HH:mm:ss", c),
                'w' => ((int)time.DayOfWeek).ToString(c),
                'Z' or 'z' => "",
                '%' => "%",
                _ => "%" + d,
            };
            sb.Append(unpadded ? field.TrimStart('0', ' ') is { Length: > 0 } t ? t : "0" : field);
        }
        return sb.ToString();
    }
}
