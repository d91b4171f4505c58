// The point-wise feed-forward block of SASRec (the port's two Conv1d with kernel size 1 are
// two Linear D -> D applied to every row), dropout after each product:
//
//     u = relu(dropout1(x W1^T + b1)),   y = dropout2(u W2^T + b2)          x, u, y [R, D]
//
// backward (M1, M2 the dropout masks; relu passes where u > 0):
//
//     dz2 = dy * M2,  du = dz2 W2,  dz1 = du * [u > 0] * M1,  dx += dz1 W1

final class PointwiseFeedForward {
    /// "<name>.linear1.weight" [D, D], ".linear1.bias" [D], ".linear2.weight", ".linear2.bias".
    let weight1: Parameter
    let bias1: Parameter
    let weight2: Parameter
    let bias2: Parameter
    let width: Int
    let dropout: Float

    private let hidden = FloatBuffer()    // [R, D] u
    private let output = FloatBuffer()    // [R, D] y
    private let mask1 = FloatBuffer()     // [R, D]
    private let mask2 = FloatBuffer()     // [R, D]
    private let dOutput = FloatBuffer()   // [R, D] dz2
    private let dHidden = FloatBuffer()   // [R, D] du, then dz1
    private var rows = 0
    private var dropoutActive = false

    /// Weights xavier-normal (the port's init of every weight), biases U(-1/sqrt(D), 1/sqrt(D))
    /// (PyTorch's Conv1d / Linear bias init); drawn weight1, bias1, weight2, bias2.
    init(name: String, width: Int, dropout: Float, rng: inout SeededGenerator) {
        self.width = width
        self.dropout = dropout
        let bound = 1 / Float(width).squareRoot()
        weight1 = Parameter(name: "\(name).linear1.weight", shape: [width, width],
                            values: Linear.xavierNormal(rows: width, columns: width, rng: &rng))
        bias1 = Parameter(name: "\(name).linear1.bias", shape: [width], values: (0..<width).map { _ in rng.nextFloat(in: -bound, bound) })
        weight2 = Parameter(name: "\(name).linear2.weight", shape: [width, width],
                            values: Linear.xavierNormal(rows: width, columns: width, rng: &rng))
        bias2 = Parameter(name: "\(name).linear2.bias", shape: [width], values: (0..<width).map { _ in rng.nextFloat(in: -bound, bound) })
    }

    var parameters: [Parameter] { [weight1, bias1, weight2, bias2] }

    /// x [R, D] -> y [R, D], owned by the block and valid until its next forward.
    func forward(_ x: UnsafePointer<Float>, rows: Int, training: Bool, rng: inout SeededGenerator) -> UnsafePointer<Float> {
        let count = rows * width
        self.rows = rows
        hidden.resize(to: count)
        output.resize(to: count)
        dropoutActive = training && dropout > 0
        Linear.forward(x, rows: rows, weight: weight1, bias: bias1, into: hidden.pointer)
        if dropoutActive {
            mask1.resize(to: count)
            Dropout.drawMask(into: mask1.pointer, count: count, probability: dropout, rng: &rng, applyingTo: hidden.pointer)
        }
        let u = hidden.pointer
        for i in 0..<count where !(u[i] > 0) { u[i] = 0 }
        Linear.forward(hidden.pointer, rows: rows, weight: weight2, bias: bias2, into: output.pointer)
        if dropoutActive {
            mask2.resize(to: count)
            Dropout.drawMask(into: mask2.pointer, count: count, probability: dropout, rng: &rng, applyingTo: output.pointer)
        }
        return UnsafePointer(output.pointer)
    }

    /// x: forward's input [R, D]; dy [R, D]. Adds into dx [R, D] and the gradients.
    func backward(input x: UnsafePointer<Float>, dOutput dy: UnsafePointer<Float>, addingInto dx: UnsafeMutablePointer<Float>) {
        let count = rows * width
        var dz2 = dy
        if dropoutActive {
            dOutput.resize(to: count)
            dOutput.pointer.update(from: dy, count: count)
            BufferOps.multiply(count: count, by: mask2.pointer, into: dOutput.pointer)
            dz2 = UnsafePointer(dOutput.pointer)
        }
        dHidden.resize(to: count)
        dHidden.zero()
        Linear.backward(dOutput: dz2, input: hidden.pointer, rows: rows, weight: weight2, bias: bias2, addingInto: dHidden.pointer)
        let (u, du) = (hidden.pointer, dHidden.pointer)
        for i in 0..<count where !(u[i] > 0) { du[i] = 0 }
        if dropoutActive { BufferOps.multiply(count: count, by: mask1.pointer, into: du) }
        Linear.backward(dOutput: dHidden.pointer, input: x, rows: rows, weight: weight1, bias: bias1, addingInto: dx)
    }
}
