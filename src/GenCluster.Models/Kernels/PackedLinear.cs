using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace GenCluster.Models.Kernels;

/// <summary>
/// A linear layer y = x Wᵀ (+ b) whose weights [out, in] live in a <see cref="WeightFormat"/>. Decode-sized inputs
/// (at most 8 rows of float32 on the CPU) run on the SIMD kernels over the worker pool, reading the tensors' memory
/// in place; larger float32 inputs (prefill) and the GPU use torch. Compact formats always use the kernels on the
/// CPU (8 rows at a time), unless the fast path is off, when they are dequantized for torch (for comparison).
/// </summary>
public sealed unsafe class PackedLinear : IDisposable
{
    const int RowsPerChunk = 32;

    readonly Tensor _weight;   // float32 / bfloat16 / int8, contiguous
    readonly Tensor? _scales;  // int8: [out, in / 32] float32
    readonly Tensor? _bias;    // float32 [out]
    readonly bool _kernels;

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Storage format of the weights.</summary>
    public WeightFormat Format { get; }

    /// <summary>Bytes held by weights, scales and bias.</summary>
    public long Bytes => new[] { _weight, _scales, _bias }.Where(t => t is not null).Sum(t => t!.NumberOfElements * t.ElementSize);

    /// <summary>Packs a float weight [out, in] (taking ownership) for CPU kernels or keeps it for torch.</summary>
    public PackedLinear(Tensor weight, Tensor? bias, WeightFormat format, bool useKernels)
    {
        OutFeatures = (int)weight.shape[0];
        InFeatures = (int)weight.shape[1];
        bool cpu = weight.device_type == DeviceType.CPU;
        _kernels = useKernels && cpu;
        // Formats need whole vectors / groups; other widths stay float32.
        if (format == WeightFormat.BFloat16 && InFeatures % 8 != 0 || format == WeightFormat.Int8 && InFeatures % DotKernels.Int8Group != 0 || !cpu)
            format = cpu ? WeightFormat.Float32 : format;
        Format = cpu ? format : WeightFormat.Float32;
        using (var scope = NewDisposeScope())
        {
            var w32 = weight.to(cpu ? ScalarType.Float32 : weight.dtype).contiguous();
            switch (Format)
            {
                case WeightFormat.BFloat16:
                    _weight = w32.to(ScalarType.BFloat16).contiguous().MoveToOuterDisposeScope();
                    break;
                case WeightFormat.Int8:
                    var groups = w32.view(OutFeatures, InFeatures / DotKernels.Int8Group, DotKernels.Int8Group);
                    var scales = groups.abs().amax(new long[] { -1 }, keepdim: true).clamp_min(1e-12f) / 127f;
                    _weight = (groups / scales).round().clamp(-127, 127).to(ScalarType.Int8).view(OutFeatures, InFeatures).contiguous().MoveToOuterDisposeScope();
                    _scales = scales.squeeze(-1).contiguous().MoveToOuterDisposeScope();
                    break;
                default:
                    _weight = (ReferenceEquals(w32, weight) ? weight.alias() : w32).MoveToOuterDisposeScope();
                    break;
            }
            _bias = bias?.to(cpu ? ScalarType.Float32 : bias.dtype).contiguous().MoveToOuterDisposeScope();
        }
        _weight.DetachFromDisposeScope();
        _scales?.DetachFromDisposeScope();
        _bias?.DetachFromDisposeScope();
        if (!ReferenceEquals(weight, _weight)) weight.Dispose();
        if (bias is not null && !ReferenceEquals(bias, _bias)) bias.Dispose();
    }

    /// <summary>y = x Wᵀ + b for x [..., in]; returns [..., out].</summary>
    public Tensor Forward(Tensor x)
    {
        long rows = x.NumberOfElements / InFeatures;
        bool kernelFits = _kernels && x.device_type == DeviceType.CPU && x.dtype == ScalarType.Float32;
        if (kernelFits && (rows <= DotKernels.MaxBatch || Format != WeightFormat.Float32))
            return Kernel(x, rows);
        return F.linear(x, Format == WeightFormat.Float32 ? _weight : Dequantized(), _bias);
    }

    /// <summary>The weight as a float tensor [out, in] (a new tensor for compact formats).</summary>
    public Tensor Dequantized() => Format switch
    {
        WeightFormat.BFloat16 => _weight.to(ScalarType.Float32),
        WeightFormat.Int8 => (_weight.to(ScalarType.Float32).view(OutFeatures, -1, DotKernels.Int8Group) * _scales!.unsqueeze(-1)).view(OutFeatures, InFeatures),
        _ => _weight.alias(),
    };

    /// <summary>Rows of the weight as float32 [ids, in] (embedding lookup through a tied LM head).</summary>
    public Tensor Rows(Tensor ids)
    {
        var picked = _weight.index_select(0, ids);
        return Format switch
        {
            WeightFormat.BFloat16 => picked.to(ScalarType.Float32),
            WeightFormat.Int8 => (picked.to(ScalarType.Float32).view(-1, InFeatures / DotKernels.Int8Group, DotKernels.Int8Group)
                * _scales!.index_select(0, ids).unsqueeze(-1)).view(-1, InFeatures),
            _ => picked,
        };
    }

    Tensor Kernel(Tensor x, long rows)
    {
        var input = x.contiguous();
        var shape = x.shape.ToArray();
        shape[^1] = OutFeatures;
        var output = empty(shape, ScalarType.Float32);
        float* xp = (float*)PointerOf(input), yp = (float*)PointerOf(output);
        void* wp = (void*)PointerOf(_weight);
        float* sp = _scales is null ? null : (float*)PointerOf(_scales);
        float* bp = _bias is null ? null : (float*)PointerOf(_bias);
        int chunks = (OutFeatures + RowsPerChunk - 1) / RowsPerChunk;
        for (long first = 0; first < rows; first += DotKernels.MaxBatch)
        {
            int batch = (int)Math.Min(DotKernels.MaxBatch, rows - first);
            float* xb = xp + first * InFeatures, yb = yp + first * OutFeatures;
            WorkerPool.Shared.Run(chunks, c =>
            {
                int start = c * RowsPerChunk, end = Math.Min(OutFeatures, start + RowsPerChunk);
                switch (Format)
                {
                    case WeightFormat.BFloat16: DotKernels.Bf16((ushort*)wp, InFeatures, xb, batch, yb, OutFeatures, start, end); break;
                    case WeightFormat.Int8: DotKernels.Int8((sbyte*)wp, sp, InFeatures, xb, batch, yb, OutFeatures, start, end); break;
                    default: DotKernels.F32((float*)wp, InFeatures, xb, batch, yb, OutFeatures, start, end); break;
                }
                if (bp != null)
                    for (int b = 0; b < batch; b++)
                        for (int o = start; o < end; o++) yb[(long)b * OutFeatures + o] += bp[o];
            });
        }
        if (!ReferenceEquals(input, x)) input.Dispose();
        return output;
    }

    static IntPtr PointerOf(Tensor t)
    {
        fixed (byte* p = t.bytes) return (IntPtr)p;
    }

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        _weight.Dispose();
        _scales?.Dispose();
        _bias?.Dispose();
    }
}
