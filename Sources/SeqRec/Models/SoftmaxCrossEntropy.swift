// Row-wise softmax cross-entropy on a block of logits, numerically stable through
// log-sum-exp, computed in place so the logits buffer becomes the gradient buffer.
// Shared by the full softmax and the sampled softmax.

import Foundation

enum SoftmaxCrossEntropy {
    /// For each row r of `logits` [rows, columns] with target column `targetColumns[r]`:
    ///
    ///     m_r    = max_j z_rj
    ///     lse_r  = m_r + log(sum_j exp(z_rj - m_r))      (never overflows: every exponent <= 0)
    ///     loss_r = lse_r - z_r[target]
    ///
    /// and overwrites the row with `gradientScale * (softmax(z_r) - onehot(target))`, the
    /// gradient of `gradientScale * loss_r`. A logit of -infinity (a masked column) gets
    /// probability exactly 0 and gradient 0. Returns sum_r loss_r (in Double).
    static func lossAndGradientInPlace(
        logits: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
        targetColumns: UnsafePointer<Int32>, gradientScale: Float
    ) -> Double {
        var totalLoss = 0.0
        for row in 0..<rows {
            let z = logits + row * columns
            let target = Int(targetColumns[row])
            let targetLogit = z[target]
            let maximum = rowMaximum(z, count: columns)
            let expSum = exponentiateShifted(z, count: columns, shift: maximum)
            // (m - z_target) first: exact cancellation even for huge logits.
            totalLoss += Double(maximum - targetLogit) + log(Double(expSum))
            scale(z, count: columns, by: gradientScale / expSum)
            z[target] -= gradientScale
        }
        return totalLoss
    }

    @inline(__always)
    private static func rowMaximum(_ z: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j + 8 <= count {
            let values = UnsafeRawPointer(z + j).loadUnaligned(as: SIMD8<Float>.self)
            lanes.replace(with: values, where: values .> lanes)  // pointwiseMax is an out-of-line call
            j += 8
        }
        var maximum = -Float.infinity
        for lane in 0..<8 where lanes[lane] > maximum { maximum = lanes[lane] }
        while j < count {
            maximum = max(maximum, z[j])
            j += 1
        }
        return maximum
    }

    /// z_j <- exp(z_j - shift); returns the sum.
    @inline(__always)
    private static func exponentiateShifted(_ z: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        let shiftLanes = SIMD8<Float>(repeating: shift)
        var sumLanes = SIMD8<Float>.zero
        var j = 0
        while j + 8 <= count {
            let e = expOrZero(UnsafeRawPointer(z + j).loadUnaligned(as: SIMD8<Float>.self) - shiftLanes)
            UnsafeMutableRawPointer(z + j).storeBytes(of: e, as: SIMD8<Float>.self)
            sumLanes += e
            j += 8
        }
        var sum = sumLanes.sum()
        while j < count {
            let e = expOrZero(SIMD8<Float>(repeating: z[j] - shift))[0]
            z[j] = e
            sum += e
            j += 1
        }
        return sum
    }

    @inline(__always)
    private static func scale(_ z: UnsafeMutablePointer<Float>, count: Int, by factor: Float) {
        let factorLanes = SIMD8<Float>(repeating: factor)
        var j = 0
        while j + 8 <= count {
            let values = UnsafeRawPointer(z + j).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(z + j).storeBytes(of: values * factorLanes, as: SIMD8<Float>.self)
            j += 8
        }
        while j < count {
            z[j] *= factor
            j += 1
        }
    }

    /// e^x for softmax: Cephes' expf (range reduction x = n ln2 + r, |r| <= ln2/2, degree-5
    /// polynomial for e^r, 2^n built in the exponent bits; relative error < 2e-7, the same
    /// algorithm as VectorMath.exp), but exactly 0 below -87 so masked (-infinity) logits get
    /// probability 0. Its own copy because clamping with SIMD.clamped/pointwiseMin/Max
    /// compiles to out-of-line calls per vector, which tripled the cost of this loop
    /// (B·T·V exponentials per batch); `replacing(with:where:)` compiles to vmaxps/vblendvps.
    @inline(__always)
    static func expOrZero(_ input: SIMD8<Float>) -> SIMD8<Float> {
        let low = SIMD8<Float>(repeating: -87), high = SIMD8<Float>(repeating: 88)
        var x = input.replacing(with: low, where: input .< low)
        x.replace(with: high, where: x .> high)
        let magic = SIMD8<Float>(repeating: 12_582_912)  // 1.5 * 2^23: rounds to an integer in the low mantissa bits
        let shifted = magic.addingProduct(x, SIMD8<Float>(repeating: 1.442_695_04))
        let n = shifted - magic
        var r = x.addingProduct(n, SIMD8<Float>(repeating: -0.693_359_375))
        r = r.addingProduct(n, SIMD8<Float>(repeating: 2.121_944_4e-4))
        var p = SIMD8<Float>(repeating: 1.987_569_150_0e-4)
        p = SIMD8<Float>(repeating: 1.398_199_950_7e-3).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 8.333_451_907_3e-3).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 4.166_579_589_4e-2).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 1.666_666_545_9e-1).addingProduct(p, r)
        p = SIMD8<Float>(repeating: 5.000_000_120_1e-1).addingProduct(p, r)
        let expR = (r + 1).addingProduct(p, r * r)
        let nBits = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let result = expR * unsafeBitCast((nBits &+ 127) &<< 23, to: SIMD8<Float>.self)
        return result.replacing(with: 0, where: input .< low)
    }
}
