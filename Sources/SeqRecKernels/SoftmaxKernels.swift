// The row passes of the fused softmax cross-entropy (Models/SoftmaxCrossEntropy.swift holds the
// loss and the order of the passes). Full Lanes-wide chunks, then a scalar tail that runs the
// same vector arithmetic on one lane. Element-wise results are bitwise the same in every build;
// the row sums are added in Lanes.scalarCount partial sums, then the tail in order, so they
// depend on the width (8 or 16) and agree only to rounding.

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
        var sumLanes = Lanes()
        var j = 0
        while j + size <= count {
            let e = VectorMath.expOrZero(VectorMath.load(z + j, count: size) - shiftLanes)
            VectorMath.store(e, to: z + j, count: size)
            sumLanes += e
            j += size
        }
        var sum = sumLanes.sum()
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
        var sumLanes = Lanes()
        var high = Lanes(repeating: -.infinity)
        var j = 0
        while j + size <= count {
            let values = VectorMath.load(z + j, count: size) + VectorMath.load(bias + j, count: size)
            high = high.replacing(with: values, where: values .> high)
            let e = VectorMath.exp(values)
            VectorMath.store(e, to: z + j, count: size)
            sumLanes += e
            j += size
        }
        var sum = sumLanes.sum()
        var maximum = largestLane(high)
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

    /// The largest lane (-infinity if all are).
    @inline(__always)
    static func largestLane(_ lanes: Lanes) -> Float {
        var maximum = -Float.infinity
        for lane in 0..<Lanes.scalarCount where lanes[lane] > maximum { maximum = lanes[lane] }
        return maximum
    }
}
