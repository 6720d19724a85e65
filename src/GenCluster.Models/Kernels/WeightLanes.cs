using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace GenCluster.Models.Kernels;

/// <summary>
/// How a kernel reads one weight row as float32: sixteen elements at a time into a 512-bit vector, or one. A struct
/// type argument, so the JIT compiles each kernel once per format with the load inlined.
/// </summary>
internal unsafe interface IWeightLanes
{
    /// <summary>Bytes per stored weight.</summary>
    static abstract int ElementSize { get; }

    /// <summary>Elements [i, i + 16) of the row at <paramref name="row"/> as float32.</summary>
    static abstract Vector512<float> Load(byte* row, int i);

    /// <summary>Element i of the row as float32.</summary>
    static abstract float At(byte* row, int i);
}

/// <summary>float32 weights, read as they are.</summary>
internal unsafe struct Float32Lanes : IWeightLanes
{
    public static int ElementSize => sizeof(float);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(byte* row, int i) => Vector512.Load((float*)row + i);

    public static float At(byte* row, int i) => ((float*)row)[i];
}

/// <summary>bfloat16 weights: zero-extended to 32 bits and shifted into the high half (a bfloat16 is the high half of a float32).</summary>
internal unsafe struct BFloat16Lanes : IWeightLanes
{
    public static int ElementSize => sizeof(ushort);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(byte* row, int i) =>
        (Avx512F.ConvertToVector512UInt32(Vector256.Load((ushort*)row + i)) << 16).AsSingle();

    public static float At(byte* row, int i) => DotKernels.Bf16ToSingle(((ushort*)row)[i]);
}

/// <summary>A number of input rows fixed at compile time (a struct type argument the JIT specialises on).</summary>
internal interface IInputCount
{
    /// <summary>The number of input rows.</summary>
    static abstract int Count { get; }
}

internal struct Inputs2 : IInputCount { public static int Count => 2; }
internal struct Inputs3 : IInputCount { public static int Count => 3; }
internal struct Inputs4 : IInputCount { public static int Count => 4; }
internal struct Inputs5 : IInputCount { public static int Count => 5; }
internal struct Inputs6 : IInputCount { public static int Count => 6; }
internal struct Inputs7 : IInputCount { public static int Count => 7; }
internal struct Inputs8 : IInputCount { public static int Count => 8; }
