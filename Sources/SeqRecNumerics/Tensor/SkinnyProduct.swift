// C[m, n] = A[m, k] x B[k, n] + beta * C for a few rows (m <= 8), all row-major: the forward
// per-step recurrent product h W_hh^T of a training batch of windows (about 6 rows, 3 per
// worker at 2 threads). For this product OpenBLAS 0.3 uses its unpacked small-matrix kernel
// only up to m * n = 1,200 outputs; beyond, it packs the whole weight matrix on every call,
// which at a few rows costs as much as the arithmetic (an LSTM-128 epoch spent a third of
// its time there). This kernel streams B once per call instead: for each block of 16 columns
// it keeps up to 4 rows x 16 accumulators in registers and walks k, one broadcast of A and
// two loads of B per 8 fused multiply-adds. Summation order is fixed (k ascending).

enum SkinnyProduct {
    /// Use this kernel for at most `maxRows` rows and more than `smallKernelOutputs` outputs,
    /// where OpenBLAS would pack; below, its small-matrix kernel was faster (hidden 50).
    static let maxRows = 8
    static let smallKernelOutputs = 1_200

    @inline(__always)
    static func isPreferred(m: Int, n: Int) -> Bool {
        m <= maxRows && m * n > smallKernelOutputs
    }

    static func multiply(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int,
                         b: UnsafePointer<Float>, ldb: Int, beta: Float,
                         c: UnsafeMutablePointer<Float>, ldc: Int) {
        // Row groups of at most 4, as even as possible (6 rows: 3 + 3, not 4 + 2).
        let groups = (m + 3) / 4
        var row = 0
        for group in 0..<groups {
            let rows = m / groups + (group < m % groups ? 1 : 0)
            let aRows = a + row * lda, cRows = c + row * ldc
            var column = 0
            while column + 16 <= n {
                blockWithRowCount(rows, wide: true, k: k, a: aRows, lda: lda, b: b + column, ldb: ldb, beta: beta, c: cRows + column, ldc: ldc)
                column += 16
            }
            if column + 8 <= n {
                blockWithRowCount(rows, wide: false, k: k, a: aRows, lda: lda, b: b + column, ldb: ldb, beta: beta, c: cRows + column, ldc: ldc)
                column += 8
            }
            while column < n {  // the last < 8 columns, one at a time
                for r in 0..<rows {
                    var sum: Float = 0
                    for p in 0..<k { sum += aRows[r * lda + p] * b[p * ldb + column] }
                    let target = cRows + r * ldc + column
                    target.pointee = beta == 0 ? sum : beta * target.pointee + sum
                }
                column += 1
            }
            row += rows
        }
    }

    /// Calls `block` with a literal row count, so that each inlined copy drops the unused
    /// rows' accumulators (dead code) instead of computing and discarding them.
    @inline(__always)
    private static func blockWithRowCount(_ rows: Int, wide: Bool, k: Int, a: UnsafePointer<Float>, lda: Int,
                                          b: UnsafePointer<Float>, ldb: Int, beta: Float,
                                          c: UnsafeMutablePointer<Float>, ldc: Int) {
        switch rows {
        case 4: block(rows: 4, wide: wide, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        case 3: block(rows: 3, wide: wide, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        case 2: block(rows: 2, wide: wide, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        default: block(rows: 1, wide: wide, k: k, a: a, lda: lda, b: b, ldb: ldb, beta: beta, c: c, ldc: ldc)
        }
    }

    /// 1...4 rows x 16 columns (8 when not `wide`). Rows beyond `rows` repeat row 0's
    /// arithmetic and are not stored.
    @inline(__always)
    private static func block(rows: Int, wide: Bool, k: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>,
                              ldb: Int, beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        let a1 = a + (rows > 1 ? lda : 0), a2 = a + (rows > 2 ? 2 * lda : 0), a3 = a + (rows > 3 ? 3 * lda : 0)
        var bRow = b
        if wide {
            for p in 0..<k {
                let b0 = load(bRow), b1 = load(bRow + 8)
                let x0 = SIMD8<Float>(repeating: a[p]), x1 = SIMD8<Float>(repeating: a1[p])
                let x2 = SIMD8<Float>(repeating: a2[p]), x3 = SIMD8<Float>(repeating: a3[p])
                c00 = (x0 * b0) + c00; c01 = (x0 * b1) + c01
                c10 = (x1 * b0) + c10; c11 = (x1 * b1) + c11
                c20 = (x2 * b0) + c20; c21 = (x2 * b1) + c21
                c30 = (x3 * b0) + c30; c31 = (x3 * b1) + c31
                bRow += ldb
            }
        } else {
            for p in 0..<k {
                let b0 = load(bRow)
                c00 = (SIMD8<Float>(repeating: a[p]) * b0) + c00
                c10 = (SIMD8<Float>(repeating: a1[p]) * b0) + c10
                c20 = (SIMD8<Float>(repeating: a2[p]) * b0) + c20
                c30 = (SIMD8<Float>(repeating: a3[p]) * b0) + c30
                bRow += ldb
            }
        }
        write(c00, c01, wide: wide, beta: beta, to: c)
        if rows > 1 { write(c10, c11, wide: wide, beta: beta, to: c + ldc) }
        if rows > 2 { write(c20, c21, wide: wide, beta: beta, to: c + 2 * ldc) }
        if rows > 3 { write(c30, c31, wide: wide, beta: beta, to: c + 3 * ldc) }
    }

    @inline(__always)
    private static func write(_ low: SIMD8<Float>, _ high: SIMD8<Float>, wide: Bool, beta: Float, to target: UnsafeMutablePointer<Float>) {
        if beta == 0 {
            store(low, target)
            if wide { store(high, target + 8) }
        } else {
            let scale = SIMD8<Float>(repeating: beta)
            store(scale * load(target) + low, target)
            if wide { store(scale * load(target + 8) + high, target + 8) }
        }
    }

    @inline(__always)
    private static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func load(_ pointer: UnsafeMutablePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    @inline(__always)
    private static func store(_ value: SIMD8<Float>, _ pointer: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}
