// Small SIMD helpers over raw Float buffers used by the layers and heads: axpy (fused and
// unfused), row sums and dot products, elementwise products, column sums, row copies,
// [A, B, C] <-> [B, A, C] transposes. Full 8-lane chunks first, then a scalar tail: the
// trained models' arithmetic is fixed by these kernels (changing a tail would change
// results), so each states its rounding. New elementwise kernels use `forEachChunk` with
// VectorMath.load/store(_:count:) instead (the tail gets the chunks' exact arithmetic).

package enum BufferOps {
    /// y[i] += alpha * x[i], fused (one rounding) in the full chunks, unfused in the tail.
    @inline(__always)
    package static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let a = Float8(repeating: alpha)
        var i = 0
        while i + 8 <= count {
            let v = VectorMath.load(y + i, count: 8).addingProduct(a, VectorMath.load(x + i, count: 8))
            VectorMath.store(v, to: y + i, count: 8)
            i += 8
        }
        while i < count { y[i] += alpha * x[i]; i += 1 }
    }

    /// y[i] *= x[i]
    @inline(__always)
    package static func multiply(count: Int, by x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count {
            VectorMath.store(VectorMath.load(y + i, count: 8) * VectorMath.load(x + i, count: 8), to: y + i, count: 8)
            i += 8
        }
        while i < count { y[i] *= x[i]; i += 1 }
    }

    /// y[i] += alpha * x[i], multiplied then added (two roundings; `axpy` fuses them).
    /// The heads' gradients use this form.
    @inline(__always)
    package static func addScaled(_ alpha: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        let alphaLanes = SIMD8<Float>(repeating: alpha)
        var j = 0
        while j + 8 <= count {
            y.setSIMD8(y.simd8(at: j) + alphaLanes * x.simd8(at: j), at: j)
            j += 8
        }
        while j < count {
            y[j] += alpha * x[j]
            j += 1
        }
    }

    /// destination[0..<count] += source[0..<count].
    @inline(__always)
    package static func addRow(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        var j = 0
        while j + 8 <= count {
            destination.setSIMD8(destination.simd8(at: j) + source.simd8(at: j), at: j)
            j += 8
        }
        while j < count {
            destination[j] += source[j]
            j += 1
        }
    }

    /// sum of a[i] * b[i]: 8 lane sums over the full chunks, then the tail added in order.
    @inline(__always)
    package static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>.zero
        var j = 0
        while j + 8 <= count {
            lanes += a.simd8(at: j) * b.simd8(at: j)
            j += 8
        }
        var sum = lanes.sum()
        while j < count {
            sum += a[j] * b[j]
            j += 1
        }
        return sum
    }

    /// sums[j] += sum over rows of matrix[row, j]; matrix is [rows, columns]. Row by row, so
    /// the matrix streams through once and the sums stay in L1.
    package static func addColumnSums(rows: Int, columns: Int, matrix: UnsafePointer<Float>, into sums: UnsafeMutablePointer<Float>) {
        for row in 0..<rows { axpy(count: columns, alpha: 1, x: matrix + row * columns, y: sums) }
    }

    /// Swaps the two outer axes: source [outer, inner, width] -> destination [inner, outer, width].
    package static func swapOuterAxes(outer: Int, inner: Int, width: Int, source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>) {
        for o in 0..<outer {
            for i in 0..<inner {
                copyRow(source + (o * inner + i) * width, to: destination + (i * outer + o) * width, count: width)
            }
        }
    }

    /// destination[0..<count] = source[0..<count] (no overlap), 8 lanes at a time. The rows
    /// copied per training step (hidden states, embeddings: 50-200 floats) are too short for
    /// memmove's call and size dispatch to pay off; an LSTM-50 epoch copies about 600,000.
    @inline(__always)
    package static func copyRow(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        var j = 0
        while j + 8 <= count {
            let lanes = UnsafeRawPointer(source + j).loadUnaligned(as: SIMD8<Float>.self)
            UnsafeMutableRawPointer(destination + j).storeBytes(of: lanes, as: SIMD8<Float>.self)
            j += 8
        }
        while j < count {
            destination[j] = source[j]
            j += 1
        }
    }
}
