// The check a BLAS core must pass before seqrec trusts kernels the library did not choose
// itself (some OpenBLAS releases compute wrong products with some cores on some CPUs): sgemm
// in the layouts and shapes seqrec uses, against a Double reference.
//
// Shapes, with sizes that are not multiples of any kernel's block so every edge path runs:
// activations times weights [B*T, H] x [H, 4H], the same with the weight transposed, the
// weight gradient [B*T, H]^T x [B*T, 4H] added into existing values (beta 1), and scores
// [users, H] x [items, H]^T. Each element must lie within the rounding bound of a
// length-k dot product, (k + 2) * 2^-24 * (|C0| + sum |a| |b|); a wrong kernel misses it by
// orders of magnitude.

package enum BLASProductCheck {
    struct Product {
        let transA: Bool, transB: Bool, m: Int, n: Int, k: Int, beta: Float
    }

    static let products = [
        Product(transA: false, transB: false, m: 203, n: 196, k: 49, beta: 0),
        Product(transA: false, transB: true, m: 203, n: 196, k: 49, beta: 0),
        Product(transA: true, transB: false, m: 49, n: 196, k: 203, beta: 1),
        Product(transA: false, transB: true, m: 67, n: 509, k: 64, beta: 0),
    ]

    /// True when every product agrees with its Double reference.
    package static func passes() -> Bool {
        var rng = SeededGenerator(seed: 0x5EC_BA5)
        return products.allSatisfy { agrees($0, rng: &rng) }
    }

    private static func agrees(_ product: Product, rng: inout SeededGenerator) -> Bool {
        let (m, n, k) = (product.m, product.n, product.k)
        // Stored shapes: A is [m, k] or, transposed, [k, m]; B is [k, n] or [n, k].
        let a = (0..<(m * k)).map { _ in rng.nextFloat(in: -1, 1) }
        let b = (0..<(k * n)).map { _ in rng.nextFloat(in: -1, 1) }
        let start = (0..<(m * n)).map { _ in product.beta == 0 ? Float.nan : rng.nextFloat(in: -1, 1) }
        var c = start
        let lda = product.transA ? m : k, ldb = product.transB ? k : n
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in c.withUnsafeMutableBufferPointer { c in
            guard let a = a.baseAddress, let b = b.baseAddress, let c = c.baseAddress else { return }
            BLAS.sgemm(transA: product.transA, transB: product.transB, m: m, n: n, k: k, alpha: 1, a: a, lda: lda,
                       b: b, ldb: ldb, beta: product.beta, c: c, ldc: n)
        }}}
        let unit = 0x1p-24 as Double
        for i in 0..<m {
            for j in 0..<n {
                var exact = product.beta == 0 ? 0 : Double(start[i * n + j])
                var magnitude = abs(exact)
                for p in 0..<k {
                    let x = Double(product.transA ? a[p * m + i] : a[i * k + p])
                    let y = Double(product.transB ? b[j * k + p] : b[p * n + j])
                    exact += x * y
                    magnitude += abs(x * y)
                }
                let value = Double(c[i * n + j])
                // Written this way round so that NaN fails.
                guard abs(value - exact) <= Double(k + 2) * unit * magnitude else { return false }
            }
        }
        return true
    }
}
