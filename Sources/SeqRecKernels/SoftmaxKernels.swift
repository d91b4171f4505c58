// The row passes of the fused softmax cross-entropy (Models/SoftmaxCrossEntropy.swift holds the
// loss and the order of the passes). Full Lanes-wide chunks, then a scalar tail that runs the
// same vector arithmetic on one lane, so element-wise results are bitwise the same in every
// build. The row sums of e^z are too: every build adds them in the 8-lane order (8 partial
// sums, chunk after chunk, then the lanes, then the scalar tail), a 16-lane chunk as its two
// halves in turn. That costs one more add per 16 floats next to the exp polynomial, and keeps
// the loss and the gradients independent of the build.

import SeqRecKernelAPI

extension Kernels {
    public static func rowMaximum(_ z: UnsafePointer<Float>, count: Int) -> Float {
        let size = Lanes.scalarCount
        var lanes = Lanes(repeating: -.infinity)
        var j = 0
        while j + size <= count {
            // Compare + blend: the standard library's pointwiseMax stayed an out-of-line call.
            let values = VectorMath.load(z + j, count: size)
            lanes = lanes.replacing(with: values, where: values .> lanes)
            j += size
        }
        var maximum = largestLane(lanes)
        while j < count {
            maximum = max(maximum, z[j])
            j += 1
        }
        return maximum
    }

    public static func addBiasAndMaximum(_ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, count: Int) -> Float {
        let size = Lanes.scalarCount
        var lanes = Lanes(repeating: -.infinity)
        var j = 0
        while j + size <= count {
            let values = VectorMath.load(z + j, count: size) + VectorMath.load(bias + j, count: size)
            VectorMath.store(values, to: z + j, count: size)
            lanes = lanes.replacing(with: values, where: values .> lanes)
            j += size
        }
        var maximum = largestLane(lanes)
        while j < count {
            z[j] += bias[j]
            maximum = max(maximum, z[j])
            j += 1
        }
        return maximum
    }

    public static func exponentiateShifted(_ z: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        let size = Lanes.scalarCount
        let shiftLanes = Lanes(repeating: shift)
        var partial = SIMD8<Float>()
        var j = 0
        while j + size <= count {
            let e = VectorMath.expOrZero(VectorMath.load(z + j, count: size) - shiftLanes)
            VectorMath.store(e, to: z + j, count: size)
            addInEightLaneOrder(e, into: &partial)
            j += size
        }
        if size > 8 && j + 8 <= count {
            let e = VectorMath.expOrZero(VectorMath.load(z + j, count: 8) - shiftLanes)
            VectorMath.store(e, to: z + j, count: 8)
            partial += firstEight(e)
            j += 8
        }
        var sum = partial.sum()
        while j < count {
            let e = VectorMath.expOrZero(Lanes(repeating: z[j] - shift))[0]
            z[j] = e
            sum += e
            j += 1
        }
        return sum
    }

    public static func exponentiateWithBias(_ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, count: Int)
        -> (sum: Float, maximum: Float) {
        let size = Lanes.scalarCount
        var partial = SIMD8<Float>()
        var high = Lanes(repeating: -.infinity)
        var j = 0
        while j + size <= count {
            let values = VectorMath.load(z + j, count: size) + VectorMath.load(bias + j, count: size)
            high = high.replacing(with: values, where: values .> high)
            let e = VectorMath.exp(values)
            VectorMath.store(e, to: z + j, count: size)
            addInEightLaneOrder(e, into: &partial)
            j += size
        }
        var maximum = largestLane(high)
        if size > 8 && j + 8 <= count {
            let values = VectorMath.load(z + j, count: 8) + VectorMath.load(bias + j, count: 8)
            let e = VectorMath.exp(values)
            VectorMath.store(e, to: z + j, count: 8)
            partial += firstEight(e)
            for lane in 0..<8 { maximum = max(maximum, values[lane]) }
            j += 8
        }
        var sum = partial.sum()
        while j < count {
            let value = z[j] + bias[j]
            maximum = max(maximum, value)
            let e = VectorMath.exp(Lanes(repeating: value))[0]
            z[j] = e
            sum += e
            j += 1
        }
        return (sum, maximum)
    }

    public static func scaleRow(_ z: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        let size = Lanes.scalarCount
        let factorLanes = Lanes(repeating: factor)
        var j = 0
        while j + size <= count {
            VectorMath.store(VectorMath.load(z + j, count: size) * factorLanes, to: z + j, count: size)
            j += size
        }
        while j < count {
            z[j] *= factor
            j += 1
        }
    }

    public static func scaleRowAndAccumulate(_ z: UnsafeMutablePointer<Float>, count: Int, by factor: Float,
                                             into sums: UnsafeMutablePointer<Float>) {
        let size = Lanes.scalarCount
        let factorLanes = Lanes(repeating: factor)
        var j = 0
        while j + size <= count {
            let scaled = VectorMath.load(z + j, count: size) * factorLanes
            VectorMath.store(scaled, to: z + j, count: size)
            VectorMath.store(VectorMath.load(sums + j, count: size) + scaled, to: sums + j, count: size)
            j += size
        }
        while j < count {
            z[j] *= factor
            sums[j] += z[j]
            j += 1
        }
    }

    /// partial += e, 8 lanes at a time: a 16-lane vector as its low half, then its high half.
    @inline(__always)
    static func addInEightLaneOrder(_ e: Lanes, into partial: inout SIMD8<Float>) {
        #if SEQREC_KERNELS_V4 || SEQREC_KERNELS_PORTABLE
        partial += e.lowHalf
        partial += e.highHalf
        #else
        partial += e
        #endif
    }

    /// The first 8 lanes of e.
    @inline(__always)
    static func firstEight(_ e: Lanes) -> SIMD8<Float> {
        #if SEQREC_KERNELS_V4 || SEQREC_KERNELS_PORTABLE
        e.lowHalf
        #else
        e
        #endif
    }

    /// The largest lane (-infinity if all are).
    @inline(__always)
    static func largestLane(_ lanes: Lanes) -> Float {
        var maximum = -Float.infinity
        for lane in 0..<Lanes.scalarCount where lanes[lane] > maximum { maximum = lanes[lane] }
        return maximum
    }
}
