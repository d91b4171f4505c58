// Inverted dropout: each element is kept with probability 1 - p and scaled by 1 / (1 - p),
// so no rescaling is needed at evaluation time. A mask stores the multiplier (0 or
// 1 / (1 - p)) per element; the same mask multiplies the gradient in backward.

public enum Dropout {
    /// Fills `mask[0..<count]` with 0 or 1/(1-p). Two 32-bit uniforms per generator draw.
    public static func drawMask(into mask: UnsafeMutablePointer<Float>, count: Int, probability: Float, rng: inout SeededGenerator) {
        let keep = 1 / (1 - probability)
        // Keep when u >= p, with u uniform on 32 bits.
        let threshold = UInt64((Double(probability) * 4_294_967_296.0).rounded())
        var index = 0
        while index < count {
            let bits = rng.next()
            mask[index] = (bits & 0xFFFF_FFFF) >= threshold ? keep : 0
            if index + 1 < count { mask[index + 1] = (bits >> 32) >= threshold ? keep : 0 }
            index += 2
        }
    }
}
