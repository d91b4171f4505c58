// An affine map applied to every row (torch.nn.Linear, or a Conv1d with kernel size 1):
//
//     y [R, O] = x [R, I] W^T + b        W [O, I], b [O]
//
// backward (adds into every gradient):
//
//     dW += dy^T x,   db += sum over rows of dy,   dx += dy W

enum Linear {
    /// y [rows, outputs] = x [rows, inputs] W^T + b.
    static func forward(_ x: UnsafePointer<Float>, rows: Int, weight: Parameter, bias: Parameter,
                        into y: UnsafeMutablePointer<Float>) {
        let outputs = weight.shape[0], inputs = weight.shape[1]
        for row in 0..<rows { BufferOps.copyRow(bias.value, to: y + row * outputs, count: outputs) }
        BLAS.sgemm(transA: false, transB: true, m: rows, n: outputs, k: inputs,
                   alpha: 1, a: x, lda: inputs, b: weight.value, ldb: inputs, beta: 1, c: y, ldc: outputs)
    }

    /// dy [rows, outputs], x [rows, inputs] (forward's input); adds into weight.grad,
    /// bias.grad and, when given, dx [rows, inputs].
    static func backward(dOutput dy: UnsafePointer<Float>, input x: UnsafePointer<Float>, rows: Int,
                         weight: Parameter, bias: Parameter, addingInto dx: UnsafeMutablePointer<Float>?) {
        let outputs = weight.shape[0], inputs = weight.shape[1]
        BLAS.sgemm(transA: true, transB: false, m: outputs, n: inputs, k: rows,
                   alpha: 1, a: dy, lda: outputs, b: x, ldb: inputs, beta: 1, c: weight.grad, ldc: inputs)
        BufferOps.addColumnSums(rows: rows, columns: outputs, matrix: dy, into: bias.grad)
        if let dx {
            BLAS.sgemm(transA: false, transB: false, m: rows, n: inputs, k: outputs,
                       alpha: 1, a: dy, lda: outputs, b: weight.value, ldb: inputs, beta: 1, c: dx, ldc: inputs)
        }
    }

    /// PyTorch's xavier_normal_ (what the SASRec port applies to every weight of rank >= 2):
    /// N(0, 2 / (fanIn + fanOut)), drawn row-major. `fanIn` is a row's length, `fanOut` the rows.
    static func xavierNormal(rows: Int, columns: Int, rng: inout SeededGenerator) -> [Float] {
        let deviation = Float((2.0 / Double(rows + columns)).squareRoot())
        return (0..<(rows * columns)).map { _ in deviation * Embedding.standardNormal(&rng) }
    }
}
