using System.Runtime.Intrinsics;
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

    readonly Tensor _weight;   // float32 / bfloat16 / int8, contiguous
    readonly Tensor? _scales;  // int8: [out, in / 32] float32
    readonly Tensor? _bias;    // float32 [out]
    readonly bool _kernels, _batchInvariant;
    readonly int _rowsPerChunk;
    // The kernels' view of the same memory, taken once: the tensors are never replaced while the layer lives.
    readonly void* _w;
    readonly float* _s, _b;

    /// <summary>Input features.</summary>
    public int InFeatures { get; }

    /// <summary>Output features.</summary>
    public int OutFeatures { get; }

    /// <summary>Storage format of the weights.</summary>
    public WeightFormat Format { get; }

    /// <summary>Bytes held by weights, scales and bias.</summary>
    public long Bytes => new[] { _weight, _scales, _bias }.Where(t => t is not null).Sum(t => t!.NumberOfElements * t.ElementSize);

    /// <summary>
    /// Packs a float weight [out, in] (taking ownership) for CPU kernels or keeps it for torch; <paramref name="batchInvariant"/>
    /// runs one-row products on the batched kernels too, so a row's bits do not depend on the batch (Kernels/README.md).
    /// </summary>
    public PackedLinear(Tensor weight, Tensor? bias, WeightFormat format, bool useKernels, bool batchInvariant = false)
    {
        _batchInvariant = batchInvariant;
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
        // About 8 chunks per pool thread, 16 to 256 rows each (of float32; compact rows are shorter, so a chunk of them
        // takes proportionally more, the same bytes): long runs keep every thread's weight stream sequential for the
        // hardware prefetchers (from DRAM a core read 32-row chunks about 25% slower than 128-row ones), and several
        // chunks per thread keep the split even when one thread is descheduled. Sized by rows alone, an int8 576 x 576
        // layer was 16 chunks of 20 KB, and the 135M shape's int8 layers streamed about 10% slower (Kernels/README.md).
        int rowsPerFloat32Row = Format switch { WeightFormat.BFloat16 => 2, WeightFormat.Int8 => 4, _ => 1 };
        _rowsPerChunk = Math.Clamp(OutFeatures / (8 * WorkerPool.Shared.Parallelism), 16, 256) * rowsPerFloat32Row;
        if (_kernels)
        {
            _w = (void*)TensorMemory.Address(_weight);
            _s = _scales is null ? null : TensorMemory.Floats(_scales);
            _b = _bias is null ? null : TensorMemory.Floats(_bias);
        }
    }

    /// <summary>Whether decode-sized products run on the SIMD kernels (CPU, fast path on).</summary>
    internal bool UsesKernels => _kernels;

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
        float* xp = TensorMemory.Floats(input), yp = TensorMemory.Floats(output);
        for (long first = 0; first < rows; first += DotKernels.MaxBatch)
            Multiply(xp + first * InFeatures, (int)Math.Min(DotKernels.MaxBatch, rows - first), yp + first * OutFeatures);
        if (!ReferenceEquals(input, x)) input.Dispose();
        return output;
    }

    /// <summary>
    /// y = x Wᵀ + b on raw memory for x [rows, in] and y [rows, out], across the worker pool (the fused pass's products;
    /// needs <see cref="UsesKernels"/>): groups of at most 8 rows, the kernels' batch, one pool dispatch per group.
    /// </summary>
    internal void Multiply(float* x, int rows, float* y)
    {
        if (!_kernels || rows < 1)
            throw new InvalidOperationException($"raw products need the CPU kernels and at least one row, got {rows} (kernels: {_kernels})");
        if (rows > DotKernels.MaxBatch && PairsFit)
        {
            MultiplyGroups(x, rows, y);
            return;
        }
        for (int first = 0; first < rows; first += DotKernels.MaxBatch)
            MultiplyBatch(x + (long)first * InFeatures, Math.Min(DotKernels.MaxBatch, rows - first), y + (long)first * OutFeatures);
    }

    /// <summary>Whether products of 2 to 8 rows (and with batch invariance of 1) run on <see cref="PairKernels"/> (float32 or bfloat16 weights, 512-bit vectors).</summary>
    bool PairsFit => PairKernels.Supported && Format is WeightFormat.Float32 or WeightFormat.BFloat16;

    /// <summary>Rows [start, end) of y for 1 to 8 input rows on <see cref="PairKernels"/>.</summary>
    void Pairs(float* x, int batch, float* y, int start, int end)
    {
        if (Format == WeightFormat.BFloat16) PairKernels.Product<BFloat16Lanes>(_w, InFeatures, x, batch, y, OutFeatures, start, end);
        else PairKernels.Product<Float32Lanes>(_w, InFeatures, x, batch, y, OutFeatures, start, end);
    }

    /// <summary>
    /// More than 8 rows in one pool dispatch: each chunk of weight rows serves every group of input rows in turn while
    /// it is still in L1/L2 (a dispatch per group would stream the whole matrix again from L3 or DRAM per group). The
    /// groups are balanced (9 rows are 5 + 4, not 8 + 1), so every group has at least two rows for the pair kernels.
    /// </summary>
    void MultiplyGroups(float* x, int rows, float* y)
    {
        int groups = (rows + DotKernels.MaxBatch - 1) / DotKernels.MaxBatch;
        Run(ChunkCount, rows, y, (start, end) =>
        {
            for (int g = 0, first = 0; g < groups; g++)
            {
                int count = (rows - first) / (groups - g);
                Pairs(x + (long)first * InFeatures, count, y + (long)first * OutFeatures, start, end);
                first += count;
            }
        });
    }

    int ChunkCount => (OutFeatures + _rowsPerChunk - 1) / _rowsPerChunk;

    /// <summary>One group of 1..8 rows.</summary>
    void MultiplyBatch(float* x, int batch, float* y)
    {
        int chunks = ChunkCount;
        bool wide = Vector512.IsHardwareAccelerated;
        // Compact formats prepare the inputs once here (on the caller's stack, alive until every chunk is done), not per chunk.
        if (PairsFit && (batch > 1 || _batchInvariant))
            Run(chunks, batch, y, (start, end) => Pairs(x, batch, y, start, end));
        else if (Format == WeightFormat.BFloat16)
        {
            var buffer = stackalloc float[BFloat16Kernels.SplitFloats(InFeatures, batch)];
            var split = BFloat16Kernels.Split(x, InFeatures, batch, wide, buffer);
            Run(chunks, batch, y, (start, end) => BFloat16Kernels.ProductSplit((ushort*)_w, InFeatures, x, split, batch, y, OutFeatures, start, end, wide));
        }
        else if (Format == WeightFormat.Int8 && Int8Kernels.Integer)
        {
            var buffer = stackalloc short[batch * InFeatures + 32];
            var t = stackalloc float[batch * InFeatures / DotKernels.Int8Group];
            var q = Int8Kernels.Quantize(x, InFeatures, batch, buffer, t);
            Run(chunks, batch, y, (start, end) => Int8Kernels.ProductQuantized((sbyte*)_w, _s, InFeatures, q, t, batch, y, OutFeatures, start, end, wide));
        }
        else if (Format == WeightFormat.Int8)
            Run(chunks, batch, y, (start, end) => DotKernels.Int8Widened((sbyte*)_w, _s, InFeatures, x, batch, y, OutFeatures, start, end));
        else
            Run(chunks, batch, y, (start, end) => DotKernels.F32((float*)_w, InFeatures, x, batch, y, OutFeatures, start, end));
    }

    /// <summary>Runs <paramref name="rows"/>(start, end) over chunks of output rows on the pool, then adds the bias.</summary>
    void Run(int chunks, int batch, float* y, Action<int, int> rows) =>
        WorkerPool.Shared.Run(chunks, c =>
        {
            int start = c * _rowsPerChunk, end = Math.Min(OutFeatures, (c + 1) * _rowsPerChunk);
            rows(start, end);
            if (_b != null)
                for (int b = 0; b < batch; b++)
                    for (int o = start; o < end; o++) y[(long)b * OutFeatures + o] += _b[o];
        });

    /// <summary>Row <paramref name="row"/> of the weight widened to float32 into <paramref name="destination"/> (the same numbers as <see cref="Rows"/>).</summary>
    internal void CopyRow(long row, float* destination)
    {
        if (!_kernels) throw new InvalidOperationException("raw row reads need the CPU kernels");
        if (row < 0 || row >= OutFeatures) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is outside [0, {OutFeatures})");
        long offset = row * InFeatures;
        switch (Format)
        {
            case WeightFormat.BFloat16:
                for (int i = 0; i < InFeatures; i++) destination[i] = DotKernels.Bf16ToSingle(((ushort*)_w)[offset + i]);
                break;
            case WeightFormat.Int8:
                float* scales = _s + row * (InFeatures / DotKernels.Int8Group);
                for (int i = 0; i < InFeatures; i++) destination[i] = ((sbyte*)_w)[offset + i] * scales[i / DotKernels.Int8Group];
                break;
            default:
                Buffer.MemoryCopy((float*)_w + offset, destination, InFeatures * sizeof(float), InFeatures * sizeof(float));
                break;
        }
    }

    /// <summary>Releases the tensors.</summary>
    public void Dispose()
    {
        _weight.Dispose();
        _scales?.Dispose();
        _bias?.Dispose();
    }
}
