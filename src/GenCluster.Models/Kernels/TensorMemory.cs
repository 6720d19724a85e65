using TorchSharp;
using static TorchSharp.torch;

namespace GenCluster.Models.Kernels;

/// <summary>The address of a contiguous CPU tensor's elements, for kernels that read and write its memory in place.</summary>
internal static unsafe class TensorMemory
{
    /// <summary>First element of <paramref name="t"/>; valid while the tensor lives and is not resized.</summary>
    public static nint Address(Tensor t)
    {
        if (t.device_type != DeviceType.CPU || !t.is_contiguous())
            throw new InvalidOperationException($"kernels need a contiguous CPU tensor, got one on {t.device} (contiguous: {t.is_contiguous()})");
        fixed (byte* p = t.bytes) return (nint)p;
    }

    /// <summary>First element of a float32 tensor.</summary>
    public static float* Floats(Tensor t)
    {
        if (t.dtype != ScalarType.Float32) throw new InvalidOperationException($"expected a float32 tensor, got {t.dtype}");
        return (float*)Address(t);
    }
}
