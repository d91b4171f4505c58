// Global gradient-norm clipping, as torch.nn.utils.clip_grad_norm_(parameters, max_norm)
// with norm_type 2: total = sqrt(sum over all gradient elements of g²); if
// total + 1e-6 > max_norm, every gradient is scaled by max_norm / (total + 1e-6).
//
// A parameter that tracks rows has zero gradient outside its touched rows, so only those
// rows are read and scaled. The sum visits them in the dense loop's order (same SIMD lanes,
// same flush points), skipping only exact zeros, so the norm is bitwise the dense one.

/// Clips in place and returns the total norm measured before clipping (accumulated in Double);
/// a norm beyond Float's range is returned as infinity and nothing is scaled.
/// The sum runs parameter by parameter in model order; the scaling is one pass over the dense
/// block plus the tracked parameters' touched rows.
@discardableResult
package func clipGradientNorm(_ arena: ParameterArena, maxNorm: Float) -> Float {
    var squaredSum = 0.0
    for parameter in arena.parameters {
        if let rows = parameter.sortedTouchedRows(), let width = parameter.touchedRows?.width {
            squaredSum += SquaredNorm.rows(parameter.grad, count: parameter.count, rows: rows, width: width)
        } else {
            squaredSum += SquaredNorm.dense(parameter.grad, count: parameter.count)
        }
    }
    let total = squaredSum.squareRoot()
    // A non-finite norm stops the run (Trainer): leave the gradients as they are for its report.
    guard Float(total).isFinite else { return Float(total) }
    let coefficient = Double(maxNorm) / (total + 1e-6)
    if coefficient < 1 {
        let factor = Float8(repeating: Float(coefficient))
        func scale(_ range: Range<Int>) {
            let g = arena.grads + range.lowerBound
            forEachChunk(range.count) { j, n in VectorMath.store(VectorMath.load(g + j, count: n) * factor, to: g + j, count: n) }
        }
        scale(0..<arena.denseCount)
        for parameter in arena.trackedParameters {
            guard let rows = parameter.touchedRows else { continue }
            for row in rows.rows { scale((parameter.offset + Int(row) * rows.width)..<(parameter.offset + (Int(row) + 1) * rows.width)) }
        }
    }
    return Float(total)
}

/// Sums of squares of one gradient buffer, in a fixed order: 8 Float lanes over the 8-wide
/// chunks, flushed into a Double every 1024 elements (to keep the Float sums exact enough),
/// then the scalar tail in Double, then the last unflushed lanes.
enum SquaredNorm {
    /// Chunks (of 8 elements) per flush.
    static let chunksPerBlock = 128

    static func dense(_ gp: UnsafePointer<Float>, count: Int) -> Double {
        var lanes = SIMD8<Float>.zero
        var partial = 0.0
        var j = 0
        while j + 8 <= count {
            let v = gp.simd8(at: j)
            lanes += v * v
            if (j / 8) % chunksPerBlock == chunksPerBlock - 1 {
                partial += Double(lanes.sum())
                lanes = .zero
            }
            j += 8
        }
        // The tail in Double, element by element (a fixed order the row-sparse sum repeats).
        while j < count {
            partial += Double(gp[j]) * Double(gp[j])
            j += 1
        }
        return partial + Double(lanes.sum())
    }

    /// The same sum when every element outside `rows` (sorted, of `width` elements each) is
    /// zero: only the chunks those rows overlap are visited, in increasing order, and a block's
    /// lanes are flushed when the dense loop would have flushed them. (Adding the skipped
    /// zeros changes neither the Float lanes nor the Double partial sums.)
    static func rows(_ gp: UnsafePointer<Float>, count: Int, rows: [Int32], width: Int) -> Double {
        let vectorChunks = count / 8
        var lanes = SIMD8<Float>.zero
        var partial = 0.0
        var currentBlock = -1
        var nextChunk = 0  // chunks below this were visited (rows are sorted, so ranges only grow)
        var tail: [Int] = []  // element indices past the vector chunks, in increasing order
        for row in rows {
            let start = Int(row) * width, end = start + width
            var chunk = max(start / 8, nextChunk)
            while chunk < min((end + 7) / 8, vectorChunks) {
                let block = chunk / chunksPerBlock
                if block != currentBlock {
                    if currentBlock >= 0 {  // every block before the last touched one is complete
                        partial += Double(lanes.sum())
                        lanes = .zero
                    }
                    currentBlock = block
                }
                let v = gp.simd8(at: chunk * 8)
                lanes += v * v
                chunk += 1
            }
            nextChunk = max(nextChunk, chunk)
            for index in max(start, vectorChunks * 8)..<max(end, vectorChunks * 8) { tail.append(index) }
        }
        // The dense loop flushes the last touched block too if it is complete.
        if currentBlock >= 0, (currentBlock + 1) * chunksPerBlock <= vectorChunks {
            partial += Double(lanes.sum())
            lanes = .zero
        }
        for index in tail { partial += Double(gp[index]) * Double(gp[index]) }
        return partial + Double(lanes.sum())
    }
}
