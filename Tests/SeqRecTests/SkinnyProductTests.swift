// SkinnyProduct (the few-row forward recurrent product) against BLAS sgemm on the shapes it
// serves and on every row-group / column-block / tail combination.

import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

@Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8])
func skinnyProductMatchesSgemm(_ rows: Int) {
    var rng = SeededGenerator(seed: UInt64(rows))
    for (n, k) in [(512, 128), (384, 128), (200, 50), (1, 3), (7, 5), (8, 9), (15, 4), (16, 1), (17, 33), (24, 2)] {
        for beta: Float in [0, 1] {
            let lda = k + 3, ldb = n + 5, ldc = n + 2  // strides wider than the rows, as views into larger buffers
            let a = (0..<(rows * lda)).map { _ in rng.nextFloat(in: -1, 1) }
            let b = (0..<(k * ldb)).map { _ in rng.nextFloat(in: -1, 1) }
            let start = (0..<(rows * ldc)).map { _ in rng.nextFloat(in: -1, 1) }
            var expected = start, actual = start
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    expected.withUnsafeMutableBufferPointer { c in
                        BLAS.sgemm(transA: false, transB: false, m: rows, n: n, k: k, alpha: 1, a: a.baseAddress!, lda: lda,
                                   b: b.baseAddress!, ldb: ldb, beta: beta, c: c.baseAddress!, ldc: ldc)
                    }
                    actual.withUnsafeMutableBufferPointer { c in
                        SkinnyProduct.multiply(m: rows, n: n, k: k, a: a.baseAddress!, lda: lda, b: b.baseAddress!, ldb: ldb,
                                               beta: beta, c: c.baseAddress!, ldc: ldc)
                    }
                }
            }
            for r in 0..<rows {
                for column in 0..<ldc {
                    let index = r * ldc + column
                    if column >= n {
                        #expect(actual[index] == start[index], "wrote outside the row: [\(r), \(column)]")
                    } else {
                        #expect(abs(actual[index] - expected[index]) <= 1e-5 * Float(k).squareRoot() + 1e-6,
                                "rows \(rows) n \(n) k \(k) beta \(beta) at [\(r), \(column)]")
                    }
                }
            }
        }
    }
}

/// The encoder takes the SkinnyProduct path for few-row, wide batches (LSTM-128-like shapes);
/// its outputs must agree with the sgemm path (more rows than SkinnyProduct.maxRows).
@Test func fewRowBatchesMatchTheSgemmPath() {
    var rng = SeededGenerator(seed: 21)
    let encoder = RecurrentEncoder(cell: .lstm, numItems: 30, embeddingSize: 8, hiddenSize: 80, layers: 1, dropout: 0, rng: &rng)
    #expect(SkinnyProduct.isPreferred(m: 6, n: 4 * 80))
    let ids: [Int32] = (0..<(6 * 7)).map { Int32(($0 * 7) % 30 + 1) }
    let padded = ids + [Int32](repeating: 0, count: 4 * 7)  // 10 rows: the sgemm path
    var unused = SeededGenerator(seed: 0)
    let few = ids.withUnsafeBufferPointer { Array(encoder.forward(inputs: $0, batch: 6, steps: 7, training: false, rng: &unused)) }
    let many = padded.withUnsafeBufferPointer { Array(encoder.forward(inputs: $0, batch: 10, steps: 7, training: false, rng: &unused)) }
    let difference = zip(few, many.prefix(few.count)).map { abs($0 - $1) }.max() ?? 1
    #expect(difference < 1e-5, "max difference \(difference)")
}
