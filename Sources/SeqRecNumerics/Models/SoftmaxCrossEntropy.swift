// Row-wise softmax cross-entropy on a block of logits, numerically stable through
// log-sum-exp, computed in place so the logits buffer becomes the gradient buffer.
// Shared by the full softmax and the sampled softmax. The row passes are hot kernels
// (Sources/SeqRecKernels/SoftmaxKernels.swift, the build KernelDispatch chose): their
// element-wise results are the same in every build, their row sums only to rounding.

import Foundation
import SeqRecKernelAPI

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
        let kernels = KernelDispatch.active
        for row in 0..<rows {
            let z = logits + row * columns
            let target = Int(targetColumns[row])
            let targetLogit = z[target]
            let maximum = kernels.rowMaximum(z, count: columns)
            let expSum = kernels.exponentiateShifted(z, count: columns, shift: maximum)
            // (m - z_target) first: exact cancellation even for huge logits.
            totalLoss += Double(maximum - targetLogit) + log(Double(expSum))
            kernels.scaleRow(z, count: columns, by: gradientScale / expSum)
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
        let kernels = KernelDispatch.active
        for row in 0..<rows {
            let z = logits + row * columns
            let target = Int(targetColumns[row])
            let targetLogit = z[target]
            let maximum = kernels.rowMaximum(z, count: columns)
            let expSum = kernels.exponentiateShifted(z, count: columns, shift: maximum)
            totalLoss += Double(maximum - targetLogit) + log(Double(expSum))
            finishGradient(kernels, z, count: columns, target: target, expSum: expSum, gradientScale: gradientScale, columnSums: columnSums)
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
        let kernels = KernelDispatch.active
        for row in 0..<rows {
            let z = logits + row * columns
            let target = Int(targetColumns[row])
            let targetLogit = z[target] + bias[target]
            var (expSum, maximum) = kernels.exponentiateWithBias(z, bias: bias, count: columns)
            if maximum <= 80 && maximum >= -60 {
                totalLoss += log(Double(expSum)) - Double(targetLogit)
            } else {
                recomputeRow(row)
                maximum = kernels.addBiasAndMaximum(z, bias: bias, count: columns)
                expSum = kernels.exponentiateShifted(z, count: columns, shift: maximum)
                totalLoss += Double(maximum - targetLogit) + log(Double(expSum))
            }
            finishGradient(kernels, z, count: columns, target: target, expSum: expSum, gradientScale: gradientScale, columnSums: columnSums)
        }
        return totalLoss
    }

    /// z (holding e^(logit - shift), summing to `expSum`) <- gradientScale * (softmax - onehot(target)),
    /// with the finished row added into `columnSums`.
    @inline(__always)
    private static func finishGradient(_ kernels: any KernelSet.Type, _ z: UnsafeMutablePointer<Float>, count: Int, target: Int, expSum: Float,
                                       gradientScale: Float, columnSums: UnsafeMutablePointer<Float>) {
        let targetSumBefore = columnSums[target]
        kernels.scaleRowAndAccumulate(z, count: count, by: gradientScale / expSum, into: columnSums)
        z[target] -= gradientScale
        // The target column's sum gets the finished gradient, as if added afterwards.
        columnSums[target] = targetSumBefore + z[target]
    }
}
