// exp over 8 lanes without libm: Cephes' single-precision range reduction and degree-6
// polynomial (relative error ~1e-7 over the whole range). libm expf per element would
// dominate the full-softmax cost (B*T*V exponentials per batch).

enum VectorExp {
    /// Below this exp underflows to (denormal) zero; results there are exactly 0, which
    /// also makes exp(-infinity) = 0 for masked logits.
    static let underflowLimit: Float = -87.33654
    /// Largest input whose exponent n = round(x / ln 2) still fits 2^n in a Float (127.5 ln 2);
    /// larger inputs are clamped here (softmax only ever passes x <= 0).
    static let overflowLimit: Float = 88.37626

    @inline(__always)
    static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let log2e = SIMD8<Float>(repeating: 1.44269504088896341)
        let ln2High = SIMD8<Float>(repeating: 0.693359375)
        let ln2Low = SIMD8<Float>(repeating: -2.12194440e-4)
        // Adding 1.5 * 2^23 rounds to the nearest integer and leaves it in the low mantissa bits.
        let roundingMagic = SIMD8<Float>(repeating: 12_582_912.0)

        let clamped = pointwiseMin(pointwiseMax(x, SIMD8(repeating: underflowLimit)), SIMD8(repeating: overflowLimit))
        let shifted = clamped * log2e + roundingMagic
        let n = shifted - roundingMagic  // round(x / ln 2)
        let r = clamped - n * ln2High - n * ln2Low  // x - n ln 2, |r| <= ln2 / 2

        var p = SIMD8<Float>(repeating: 1.9875691500e-4)
        p = p * r + SIMD8(repeating: 1.3981999507e-3)
        p = p * r + SIMD8(repeating: 8.3334519073e-3)
        p = p * r + SIMD8(repeating: 4.1665795894e-2)
        p = p * r + SIMD8(repeating: 1.6666665459e-1)
        p = p * r + SIMD8(repeating: 5.0000001201e-1)
        let expR = p * (r * r) + r + SIMD8(repeating: 1)

        // 2^n built from the exponent bits: the integer n sits in the low bits of `shifted`.
        let nBits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
        let twoToN = unsafeBitCast((nBits &+ 127) &<< 23, to: SIMD8<Float>.self)
        let result = expR * twoToN
        return result.replacing(with: 0, where: x .< SIMD8(repeating: underflowLimit))
    }
}
