using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

/// <summary>Replaces each libLibTorchSharp.so under a folder by a copy whose need of a libstdc++ version is weak.</summary>
public class WeakenGlibcxxVersionNeed : Task
{
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    [Required] public string Directory { get; set; } = "";
    [Required] public string VersionName { get; set; } = "";

    static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
    };

    public override bool Execute()
    {
        var libraries = System.IO.Directory.GetFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories);
        if (libraries.Length == 0) return true;
        if (HostProvides(VersionName))
        {
            Log.LogMessage(MessageImportance.Low, $"Host libstdc++ provides {VersionName}; libLibTorchSharp.so left as shipped.");
            return true;
        }
        foreach (var path in libraries)
        {
            try
            {
                var bytes = File.ReadAllBytes(path);
                int changed = Weaken(bytes, VersionName);
                if (changed == 0) continue;
                var stamp = File.GetLastWriteTimeUtc(path);
                var temp = path + ".weak.tmp";
                File.WriteAllBytes(temp, bytes);
                // Replacing (not writing through) keeps a hard-linked NuGet cache file untouched.
                File.Delete(path);
                File.Move(temp, path);
                // Same size and time as the package's file, so incremental copies leave the patched file alone.
                File.SetLastWriteTimeUtc(path, stamp);
                Log.LogMessage(MessageImportance.High, $"GenCluster: marked {VersionName} weak in {path}");
            }
            catch (Exception e) when (e is IOException || e is InvalidDataException || e is UnauthorizedAccessException)
            {
                Log.LogError($"GenCluster: could not patch {path}: {e.Message}");
            }
        }
        return !Log.HasLoggedErrors;
    }

    bool HostProvides(string version)
    {
        var needle = Encoding.ASCII.GetBytes(version + "\0");
        var dirs = (Environment.GetEnvironmentVariable("LD_LIBRARY_PATH") ?? "").Split(new[] { ':' }, StringSplitOptions.RemoveEmptyEntries);
        foreach (var dir in dirs)
            if (FileContains(Path.Combine(dir, "libstdc++.so.6"), needle)) return true;
        foreach (var candidate in LibStdCxxCandidates)
            if (File.Exists(candidate)) return FileContains(candidate, needle);
        return false;
    }

    static bool FileContains(string path, byte[] needle)
    {
        if (!File.Exists(path)) return false;
        var data = File.ReadAllBytes(path);
        return IndexOf(data, needle, 0) >= 0;
    }

    static int IndexOf(byte[] data, byte[] needle, int start)
    {
        for (int i = start; i <= data.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && data[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }

    /// <summary>Sets VER_FLG_WEAK on every Vernaux entry named <paramref name="version"/>; returns how many changed.</summary>
    public static int Weaken(byte[] elf, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("only 64-bit little-endian ELF is supported");
        long shoff = (long)BitConverter.ToUInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        int changed = 0;
        for (int s = 0; s < shnum; s++)
        {
            long sh = shoff + (long)s * shentsize;
            if (BitConverter.ToUInt32(elf, (int)sh + 4) != ShtGnuVerneed) continue;
            long offset = (long)BitConverter.ToUInt64(elf, (int)sh + 0x18);
            int link = (int)BitConverter.ToUInt32(elf, (int)sh + 0x28);
            long strtab = (long)BitConverter.ToUInt64(elf, (int)(shoff + (long)link * shentsize + 0x18));
            long vn = offset;
            while (true)
            {
                int count = BitConverter.ToUInt16(elf, (int)vn + 2);
                long aux = vn + BitConverter.ToUInt32(elf, (int)vn + 8);
                for (int a = 0; a < count; a++)
                {
                    uint name = BitConverter.ToUInt32(elf, (int)aux + 8);
                    if (ReadString(elf, strtab + name) == version)
                    {
                        ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                        if ((flags & VerFlgWeak) == 0)
                        {
                            flags |= VerFlgWeak;
                            elf[aux + 4] = (byte)(flags & 0xff);
                            elf[aux + 5] = (byte)(flags >> 8);
                            changed++;
                        }
                    }
                    uint nextAux = BitConverter.ToUInt32(elf, (int)aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = BitConverter.ToUInt32(elf, (int)vn + 12);
                if (next == 0) break;
                vn += next;
            }
        }
        return changed;
    }

    static string ReadString(byte[] data, long at)
    {
        long end = at;
        while (end < data.Length && data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)at, (int)(end - at));
    }
}
