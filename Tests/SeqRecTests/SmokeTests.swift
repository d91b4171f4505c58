import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

@Test func sgemmMultipliesSmallMatrices() {
    // [2,3] x [3,2]
    let a: [Float] = [1, 2, 3, 4, 5, 6]
    let b: [Float] = [7, 8, 9, 10, 11, 12]
    var c = [Float](repeating: 0, count: 4)
    a.withUnsafeBufferPointer { pa in
        b.withUnsafeBufferPointer { pb in
            c.withUnsafeMutableBufferPointer { pc in
                BLAS.sgemm(transA: false, transB: false, m: 2, n: 2, k: 3, alpha: 1,
                           a: pa.baseAddress!, lda: 3, b: pb.baseAddress!, ldb: 2,
                           beta: 0, c: pc.baseAddress!, ldc: 2)
            }
        }
    }
    #expect(c == [58, 64, 139, 154])
}
