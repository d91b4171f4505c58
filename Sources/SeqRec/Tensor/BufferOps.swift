// Small SIMD helpers over raw Float buffers used by the layers (and usable by the heads and
// optimizers): axpy, scaling, elementwise products, column sums, [A, B, C] <-> [B, A, C]
// transposes. Everything works in 8-lane vectors with a zero-padded tail.

public enum BufferOps {
    /// y[i] += alpha * x[i]
    @inline(__always)
    public static func axpy(count: Int, alpha: Float, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>) {
        let a = Float8(repeating: alpha)
        var i = 0
        while i + 8 <= count {
            let v = VectorMath.load(y + i, count: 8).addingProduct(a, VectorMath.load(x + i, count: 8))
            VectorMath.store(v, to: y + i, count: 8)
            i += 8
        }
        while i < count { y[i] += alpha * x[i]; i += 1 }
    }

    /// x[i] *= alpha
    @inline(__always)
    public static func scale(count: Int, alpha: Float, x: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count {
            VectorMath.store(VectorMath.load(x + i, count: 8) * alpha, to: x + i, count: 8)
            i += 8
        }
        while i < count { x[i] *= alpha; i += 1 }
    }

    /// y[i] *= x[i]
    @inline(__always)
    public static func multiply(count: Int, by x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count {
            VectorMath.store(VectorMath.load(y + i, count: 8) * VectorMath.load(x + i, count: 8), to: y + i, count: 8)
            i += 8
        }
        while i < count { y[i] *= x[i]; i += 1 }
    }

    /// out[i] = a[i] * b[i]
    @inline(__always)
    public static func product(count: Int, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        var i = 0
        while i + 8 <= count {
            VectorMath.store(VectorMath.load(a + i, count: 8) * VectorMath.load(b + i, count: 8), to: out + i, count: 8)
            i += 8
        }
        while i < count { out[i] = a[i] * b[i]; i += 1 }
    }

    /// sums[j] += sum over rows of matrix[row, j]; matrix is [rows, columns]. Row by row, so
    /// the matrix streams through once and the sums stay in L1.
    public static func addColumnSums(rows: Int, columns: Int, matrix: UnsafePointer<Float>, into sums: UnsafeMutablePointer<Float>) {
        for row in 0..<rows { axpy(count: columns, alpha: 1, x: matrix + row * columns, y: sums) }
    }

    /// Swaps the two outer axes: source [outer, inner, width] -> destination [inner, outer, width].
    public static func swapOuterAxes(outer: Int, inner: Int, width: Int, source: UnsafePointer<Float>, destination: UnsafeMutablePointer<Float>) {
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
    public static func copyRow(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
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
