// Layer normalisation over the last axis, torch.nn.LayerNorm(D, eps) (the SASRec port uses
// eps = 1e-8). For each row x [D]:
//
//     mu = mean(x),  var = mean((x - mu)^2)  (biased),  rstd = 1 / sqrt(var + eps)
//     xhat = (x - mu) * rstd,   y = xhat * weight + bias
//
// backward, with g = dy * weight:
//
//     dx = rstd * (g - mean(g) - xhat * mean(g * xhat))
//     dweight += sum over rows of dy * xhat,   dbias += sum over rows of dy

import Foundation

final class LayerNorm {
    /// "<name>.weight" [D], initialised to 1.
    let weight: Parameter
    /// "<name>.bias" [D], initialised to 0.
    let bias: Parameter
    let width: Int
    let epsilon: Float

    private let normalized = FloatBuffer()   // [R, D] xhat of the last forward
    private let inverseStd = FloatBuffer()   // [R] rstd of the last forward
    private let output = FloatBuffer()       // [R, D] y of the last forward
    private let gradientRow = FloatBuffer()  // [D] g of one row
    private var rows = 0

    init(name: String, width: Int, epsilon: Float = 1e-8) {
        self.width = width
        self.epsilon = epsilon
        weight = Parameter(name: "\(name).weight", shape: [width], values: [Float](repeating: 1, count: width))
        bias = Parameter(name: "\(name).bias", shape: [width], values: [Float](repeating: 0, count: width))
    }

    var parameters: [Parameter] { [weight, bias] }

    /// The floats `forward` (and `backward`) use over `rows` rows, in `bind` order.
    static func activationRegions(into layout: inout ActivationLayout, prefix: @autoclosure () -> String, width d: Int, rows: Int) {
        layout.add("\(prefix()).normalized", rows, d)   // [R, D]
        layout.add("\(prefix()).inverseStd", rows)      // [R]
        layout.add("\(prefix()).output", rows, d)       // [R, D]
        layout.add("\(prefix()).gradientRow", rows > 0 ? d : 0)  // [D]
    }

    /// Points the workspaces at `activationRegions`' regions (in its order).
    func bind(_ cursor: inout ActivationCursor) {
        cursor.bind(normalized, "normalized")
        cursor.bind(inverseStd, "inverseStd")
        cursor.bind(output, "output")
        cursor.bind(gradientRow, "gradientRow")
    }

    var activationBuffers: [FloatBuffer] { [normalized, inverseStd, output, gradientRow] }

    /// x [rows, D] -> y [rows, D], owned by the layer and valid until its next forward.
    func forward(_ x: UnsafePointer<Float>, rows: Int) -> UnsafePointer<Float> {
        let d = width
        self.rows = rows
        normalized.resize(to: rows * d)
        inverseStd.resize(to: rows)
        output.resize(to: rows * d)
        gradientRow.resize(to: d)
        let (w, b) = (weight.value, bias.value)
        for row in 0..<rows {
            let xr = x + row * d, xhat = normalized.pointer + row * d, y = output.pointer + row * d
            var sum: Float = 0
            for j in 0..<d { sum += xr[j] }
            let mean = sum / Float(d)
            var squares: Float = 0
            for j in 0..<d {
                let centred = xr[j] - mean
                squares += centred * centred
            }
            let rstd = 1 / (squares / Float(d) + epsilon).squareRoot()
            inverseStd.pointer[row] = rstd
            for j in 0..<d {
                xhat[j] = (xr[j] - mean) * rstd
                y[j] = xhat[j] * w[j] + b[j]
            }
        }
        return UnsafePointer(output.pointer)
    }

    /// dy [rows, D] of the last forward; adds into dx [rows, D] and the parameters' gradients.
    func backward(dOutput dy: UnsafePointer<Float>, addingInto dx: UnsafeMutablePointer<Float>) {
        let d = width
        let (w, dw, db, g) = (weight.value, weight.grad, bias.grad, gradientRow.pointer)
        for row in 0..<rows {
            let dyr = dy + row * d, xhat = normalized.pointer + row * d, dxr = dx + row * d
            let rstd = inverseStd.pointer[row]
            var sumG: Float = 0, sumGX: Float = 0
            for j in 0..<d {
                g[j] = dyr[j] * w[j]
                sumG += g[j]
                sumGX += g[j] * xhat[j]
                dw[j] += dyr[j] * xhat[j]
                db[j] += dyr[j]
            }
            let meanG = sumG / Float(d), meanGX = sumGX / Float(d)
            for j in 0..<d { dxr[j] += rstd * (g[j] - meanG - xhat[j] * meanGX) }
        }
    }
}
