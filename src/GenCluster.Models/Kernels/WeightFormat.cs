namespace GenCluster.Models.Kernels;

/// <summary>How a linear layer's weights are stored on the CPU.</summary>
public enum WeightFormat
{
    /// <summary>float32, read in place from the torch tensor.</summary>
    Float32,
    /// <summary>bfloat16 (half the bytes), widened to float32 in registers.</summary>
    BFloat16,
    /// <summary>
    /// int8 weight-only quantization: per row, each group of 32 inputs has scale s = max|w| / 127 and q = round(w / s)
    /// in [-127, 127]; so |w - s·q| ≤ s / 2 = max|w_group| / 254 for every weight (about a quarter of the bytes).
    /// The CPU kernels multiply in integers: each product's inputs are rounded per group of 32 to int16 with scale
    /// t = max|x_group| / 32767, so every input also moves by at most max|x_group| / 65534 (see <c>Int8Kernels</c>).
    /// </summary>
    Int8,
}
