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

    /// `lossAndGradientInPlace` that also adds each row's gradient into `columnSums`
    /// [columns] (the bias gradient of an affine layer) in the same pass over the row, with
    /// the same results as adding the finished rows afterwards.
    static func lossAndGradientInPlace(
        logits: UnsafeMutablePointer<Float>, rows: Int, columns: Int,
        targetColumns: UnsafePointer<Int32>, gradientScale: Float, addingColumnSumsInto columnSums: UnsafeMutablePointer<Float>
    ) -> Double {
        var totalLoss = 0.0
        for row in 0..<rows {
            let z = logits + row * columns
            let target = Int(targetColumns[row])
            let targetLogit = z[target]
            let maximum = rowMaximum(z, count: columns)
            let expSum = exponentiateShifted(z, count: columns, shift: maximum)
            totalLoss += Double(maximum - targetLogit) + log(Double(expSum))
            finishGradient(z, count: columns, target: target, expSum: expSum, gradientScale: gradientScale, columnSums: columnSums)
        }
        return totalLoss
    }

    /// The full softmax's form: the logits of row r are z_r + `bias` (z without the bias),
    /// and no logit is masked. Softmax does not depend on the shift, so while a row's
    /// largest logit lies in [-60, 80] the row is exponentiated unshifted, with the bias
    /// added and the maximum found in the same pass: two passes over the row instead of
    /// three. In that range e^z cannot overflow (the clamp at 88 is never reached) and the
    /// sum is at least e^-60; logits below -87 count as e^-87 instead of less, which moves
    /// the probabilities by under 1e-11. A row outside the range (a diverging model) is
    /// recomputed by `recomputeRow(r)`, which rewrites z_r, and takes the shifted path.
    static func lossAndGradientInPlace(
        logits: UnsafeMutablePointer<Float>, rows: Int, columns: Int, addingBias bias: UnsafePointer<Float>,
        targetColumns: UnsafePointer<Int32>, gradientScale: Float, addingColumnSumsInto columnSums: UnsafeMutablePointer<Float>,
        recomputeRow: (Int) -> Void
    ) -> Double {
        var totalLoss = 0.0
        for row in 0..<rows {
            let z = logits + row * columns
            let target = Int(targetColumns[row])
            let targetLogit = z[target] + bias[target]
            var (expSum, maximum) = exponentiateWithBias(z, bias: bias, count: columns)
            if maximum <= 80 && maximum >= -60 {
                totalLoss += log(Double(expSum)) - Double(targetLogit)
            } else {
                recomputeRow(row)
                maximum = addBiasAndMaximum(z, bias: bias, count: columns)
                expSum = exponentiateShifted(z, count: columns, shift: maximum)
                totalLoss += Double(maximum - targetLogit) + log(Double(expSum))
            }
            finishGradient(z, count: columns, target: target, expSum: expSum, gradientScale: gradientScale, columnSums: columnSums)
        }
        return totalLoss
    }

    /// z (holding e^(logit - shift), summing to `expSum`) <- gradientScale * (softmax - onehot(target)),
    /// with the finished row added into `columnSums`.
    @inline(__always)
    private static func finishGradient(_ z: UnsafeMutablePointer<Float>, count: Int, target: Int, expSum: Float,
                                       gradientScale: Float, columnSums: UnsafeMutablePointer<Float>) {
        let targetSumBefore = columnSums[target]
        scaleAndAccumulate(z, count: count, by: gradientScale / expSum, into: columnSums)
        z[target] -= gradientScale
        // The target column's sum gets the finished gradient, as if added afterwards.
        columnSums[target] = targetSumBefore + z[target]
    }

    /// z_j <- e^(z_j + bias_j) (clamped to [-87, 88] first); returns the sum and the largest
    /// z_j + bias_j.
    @inline(__always)
    private static func exponentiateWithBias(_ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, count: Int)
        -> (sum: Float, maximum: Float) {
        var sumLanes = SIMD8<Float>.zero
        var high = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j + 8 <= count {
            let values = z.simd8(at: j) + bias.simd8(at: j)
            high = high.replacing(with: values, where: values .> high)
            let e = VectorMath.exp(values)
            z.setSIMD8(e, at: j)
            sumLanes += e
            j += 8
        }
        var sum = sumLanes.sum()
        var maximum = largestLane(high)
        while j < count {
            let value = z[j] + bias[j]
            maximum = max(maximum, value)
            let e = VectorMath.exp(SIMD8<Float>(repeating: value))[0]
            z[j] = e
            sum += e
            j += 1
        }
        return (sum, maximum)
    }

    /// The largest of the 8 lanes (-infinity if all are).
    @inline(__always)
    private static func largestLane(_ lanes: SIMD8<Float>) -> Float {
        var maximum = -Float.infinity
        for lane in 0..<8 where lanes[lane] > maximum { maximum = lanes[lane] }
        return maximum
    }

    @inline(__always)
    private static func rowMaximum(_ z: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j + 8 <= count {
            // Compare + blend: the standard library's pointwiseMax stayed an out-of-line call.
            let values = z.simd8(at: j)
            lanes = lanes.replacing(with: values, where: values .> lanes)
            j += 8
        }
        var maximum = largestLane(lanes)
        while j < count {
            maximum = max(maximum, z[j])
            j += 1
        }
        return maximum
    }

    /// z_j <- z_j + bias_j; returns the new maximum.
    @inline(__always)
    private static func addBiasAndMaximum(_ z: UnsafeMutablePointer<Float>, bias: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>(repeating: -.infinity)
        var j = 0
        while j + 8 <= count {
            let values = z.simd8(at: j) + bias.simd8(at: j)
            z.setSIMD8(values, at: j)
            lanes = lanes.replacing(with: values, where: values .> lanes)
            j += 8
        }
        var maximum = largestLane(lanes)
        while j < count {
            z[j] += bias[j]
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

    /// z_j <- factor * z_j; sums_j += z_j.
    @inline(__always)
    private static func scaleAndAccumulate(_ z: UnsafeMutablePointer<Float>, count: Int, by factor: Float, into sums: UnsafeMutablePointer<Float>) {
        let factorLanes = SIMD8<Float>(repeating: factor)
        var j = 0
        while j + 8 <= count {
            let scaled = z.simd8(at: j) * factorLanes
            z.setSIMD8(scaled, at: j)
            sums.setSIMD8(sums.simd8(at: j) + scaled, at: j)
            j += 8
        }
        while j < count {
            z[j] *= factor
            sums[j] += z[j]
            j += 1
        }
    }

    /// e^x through the shared vector exp, but exactly 0 below -87 where VectorMath.exp
    /// saturates: masked (-infinity) logits must get probability 0, and e^-87 < 2e-38 is
    /// negligible next to the row sum (>= 1, the maximum's own term). The mask is compared
    /// against a vector and blended with a vector: with the scalar forms
    /// (`x .< -87`, `replacing(with: 0, ...)`) the compiler built the mask lane by lane.
    @_transparent
    static func expOrZero(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // x <= 0 here (logits minus their maximum), so only the lower clamp is needed.
        let limit = SIMD8<Float>(repeating: -87)
        let below = x .< limit
        return VectorMath.expInRange(x.replacing(with: limit, where: below)).replacing(with: SIMD8<Float>.zero, where: below)
    }
}
