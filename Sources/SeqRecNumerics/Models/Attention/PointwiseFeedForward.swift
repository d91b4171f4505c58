// The point-wise feed-forward block (the SASRec port's two Conv1d with kernel size 1 are
// two Linear layers applied to every row), width D -> inner width F -> D, dropout after each
// product. Two activations: ReLU (SASRec, F = D), where the first dropout comes before it
// (the port's order; the two commute), and GELU (BERT4Rec), where it comes after it:
//
//     relu:  u = relu(dropout1(x W1^T + b1)),   y = dropout2(u W2^T + b2)      x, y [R, D]; u [R, F]
//     gelu:  z = x W1^T + b1,  u = dropout1(gelu(z)),  y = dropout2(u W2^T + b2)
//
// backward (M1, M2 the dropout masks; relu passes where u > 0; GELU' in GELU.swift):
//
//     dz2 = dy * M2,  du = dz2 W2,
//     relu: dz1 = du * [u > 0] * M1;   gelu: dz1 = du * M1 * gelu'(z);     dx += dz1 W1

enum FeedForwardActivation: Sendable {
    case relu, gelu
}

final class PointwiseFeedForward {
    /// "<name>.linear1.weight" [F, D], ".linear1.bias" [F], ".linear2.weight" [D, F], ".linear2.bias" [D].
    let weight1: Parameter
    let bias1: Parameter
    let weight2: Parameter
    let bias2: Parameter
    let width: Int
    /// F: the width between the two products.
    let innerWidth: Int
    let activation: FeedForwardActivation
    let dropout: Float

    private let preActivation = FloatBuffer()  // [R, F] z (gelu only)
    private let cdf = FloatBuffer()             // [R, F] Φ(z) (gelu, training only)
    private var cdfSaved = false                // the last forward kept Φ(z) in cdf
    private let hidden = FloatBuffer()    // [R, F] u
    private let output = FloatBuffer()    // [R, D] y
    private let mask1 = FloatBuffer()     // [R, F]
    private let mask2 = FloatBuffer()     // [R, D]
    private let dOutput = FloatBuffer()   // [R, D] dz2
    private let dHidden = FloatBuffer()   // [R, F] du, then dz1
    private var rows = 0
    private var dropoutActive = false

    /// Weights xavier-normal (the port's init of every weight), biases U(-1/sqrt(fan in),
    /// 1/sqrt(fan in)) (PyTorch's Conv1d / Linear bias init); drawn weight1, bias1, weight2, bias2.
    /// `innerWidth` nil is `width`.
    init(name: String, width: Int, innerWidth: Int? = nil, activation: FeedForwardActivation = .relu,
         dropout: Float, rng: inout SeededGenerator) {
        let inner = innerWidth ?? width
        self.width = width
        self.innerWidth = inner
        self.activation = activation
        self.dropout = dropout
        let bound1 = 1 / Float(width).squareRoot(), bound2 = 1 / Float(inner).squareRoot()
        weight1 = Parameter(name: "\(name).linear1.weight", shape: [inner, width],
                            values: Linear.xavierNormal(rows: inner, columns: width, rng: &rng))
        bias1 = Parameter(name: "\(name).linear1.bias", shape: [inner], values: (0..<inner).map { _ in rng.nextFloat(in: -bound1, bound1) })
        weight2 = Parameter(name: "\(name).linear2.weight", shape: [width, inner],
                            values: Linear.xavierNormal(rows: width, columns: inner, rng: &rng))
        bias2 = Parameter(name: "\(name).linear2.bias", shape: [width], values: (0..<width).map { _ in rng.nextFloat(in: -bound2, bound2) })
    }

    var parameters: [Parameter] { [weight1, bias1, weight2, bias2] }

    /// The floats `forward` over `rows` rows uses, and with `backward` unless `pass` is
    /// .evaluation, in `bind` order. GELU's Φ is kept for training's backward only.
    static func activationRegions(into layout: inout ActivationLayout, prefix: @autoclosure () -> String, width d: Int, innerWidth f: Int,
                                  activation: FeedForwardActivation, dropout: Bool, rows r: Int, pass: ActivationPass) {
        let training = pass != .evaluation, dropoutActive = pass == .training && dropout
        func add(_ name: String, _ include: Bool, _ width: Int) {
            layout.add("\(prefix()).\(name)", include ? Double(r) * Double(width) : 0)
        }
        add("preActivation", activation == .gelu, f)  // [R, F]
        add("cdf", activation == .gelu && pass == .training, f)  // [R, F]
        add("hidden", true, f)                        // [R, F]
        add("output", true, d)                        // [R, D]
        add("mask1", dropoutActive, f)                // [R, F]
        add("mask2", dropoutActive, d)                // [R, D]
        add("dOutput", dropoutActive, d)              // [R, D]
        add("dHidden", training, f)                   // [R, F]
    }

    /// Points the workspaces at `activationRegions`' regions (in its order).
    func bind(_ cursor: inout ActivationCursor) {
        cursor.bind(preActivation, "preActivation")
        cursor.bind(cdf, "cdf")
        cursor.bind(hidden, "hidden")
        cursor.bind(output, "output")
        cursor.bind(mask1, "mask1")
        cursor.bind(mask2, "mask2")
        cursor.bind(dOutput, "dOutput")
        cursor.bind(dHidden, "dHidden")
    }

    var activationBuffers: [FloatBuffer] { [preActivation, cdf, hidden, output, mask1, mask2, dOutput, dHidden] }

    /// x [R, D] -> y [R, D], owned by the block and valid until its next forward.
    func forward(_ x: UnsafePointer<Float>, rows: Int, training: Bool, rng: inout SeededGenerator) -> UnsafePointer<Float> {
        let innerCount = rows * innerWidth, count = rows * width
        self.rows = rows
        hidden.resize(to: innerCount)
        output.resize(to: count)
        dropoutActive = training && dropout > 0
        let u = hidden.pointer
        switch activation {
        case .relu:
            Linear.forward(x, rows: rows, weight: weight1, bias: bias1, into: u)
            if dropoutActive {
                mask1.resize(to: innerCount)
                Dropout.drawMask(into: mask1.pointer, count: innerCount, probability: dropout, rng: &rng, applyingTo: u)
            }
            for i in 0..<innerCount where !(u[i] > 0) { u[i] = 0 }
        case .gelu:
            preActivation.resize(to: innerCount)
            Linear.forward(x, rows: rows, weight: weight1, bias: bias1, into: preActivation.pointer)
            // Φ(z) only when a backward follows: evaluation batches are far larger.
            cdfSaved = training
            if training {
                cdf.resize(to: innerCount)
                GELU.forward(preActivation.pointer, into: u, savingCDF: cdf.pointer, count: innerCount)
            } else {
                GELU.forward(preActivation.pointer, into: u, count: innerCount)
            }
            if dropoutActive {
                mask1.resize(to: innerCount)
                Dropout.drawMask(into: mask1.pointer, count: innerCount, probability: dropout, rng: &rng, applyingTo: u)
            }
        }
        Linear.forward(hidden.pointer, rows: rows, weight: weight2, bias: bias2, into: output.pointer)
        if dropoutActive {
            mask2.resize(to: count)
            Dropout.drawMask(into: mask2.pointer, count: count, probability: dropout, rng: &rng, applyingTo: output.pointer)
        }
        return UnsafePointer(output.pointer)
    }

    /// x: forward's input [R, D]; dy [R, D]. Adds into dx [R, D] and the gradients.
    func backward(input x: UnsafePointer<Float>, dOutput dy: UnsafePointer<Float>, addingInto dx: UnsafeMutablePointer<Float>) {
        let innerCount = rows * innerWidth, count = rows * width
        var dz2 = dy
        if dropoutActive {
            dOutput.resize(to: count)
            dOutput.pointer.update(from: dy, count: count)
            BufferOps.multiply(count: count, by: mask2.pointer, into: dOutput.pointer)
            dz2 = UnsafePointer(dOutput.pointer)
        }
        dHidden.resize(to: innerCount)
        dHidden.zero()
        Linear.backward(dOutput: dz2, input: hidden.pointer, rows: rows, weight: weight2, bias: bias2, addingInto: dHidden.pointer)
        let (u, du) = (hidden.pointer, dHidden.pointer)
        switch activation {
        case .relu:
            for i in 0..<innerCount where !(u[i] > 0) { du[i] = 0 }
            if dropoutActive { BufferOps.multiply(count: innerCount, by: mask1.pointer, into: du) }
        case .gelu:
            if dropoutActive { BufferOps.multiply(count: innerCount, by: mask1.pointer, into: du) }
            guard cdfSaved else {
                GELU.backward(input: preActivation.pointer, dOutput: du, into: du, count: innerCount)
                break
            }
            GELU.backward(input: preActivation.pointer, cdf: cdf.pointer, dOutput: du, into: du, count: innerCount)
        }
        Linear.backward(dOutput: dHidden.pointer, input: x, rows: rows, weight: weight1, bias: bias1, addingInto: dx)
    }
}
