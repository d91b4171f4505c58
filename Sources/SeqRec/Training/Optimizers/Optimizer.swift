// Optimizers update parameters in place from their accumulated gradients, each with
// PyTorch's exact update rule (torch.optim, single-tensor CPU path, maximize = false).
//
// By default gradients are dense, as with PyTorch's nn.Embedding(sparse = False): every
// step touches every row of every parameter, including embedding rows no item in the batch
// used (their gradient is 0, but momentum, Adam's moments and weight decay still move them).
//
// With training.sparse_gradients the item tables track the rows a step touched (Parameter),
// and the optimizers update only those rows where torch has a row-sparse rule: SGD without
// momentum or decay and Adagrad without decay (both equal to the dense update bitwise), and
// Adam without decay as torch.optim.SparseAdam (lazy). Any other combination (RMSprop,
// AdamW, momentum, weight decay) updates a tracking parameter densely, every row; the config
// rejects those combinations so that a run never silently mixes the two.

public protocol Optimizer: AnyObject {
    /// One update of every parameter from its `grad`. Per-parameter state is allocated on
    /// the first step and keyed by position in `parameters`, so pass the same list, in the
    /// same order, every time.
    func step(_ parameters: [Parameter], learningRate: Float)
}

public enum Optimizers {
    /// The optimizer an experiment asks for. `spec.learningRate` is not captured: the
    /// trainer passes the (scheduled) rate to every `step`.
    public static func make(_ spec: OptimizerSpec) -> any Optimizer {
        let weightDecay = Float(spec.weightDecay)
        switch spec.name {
        case .sgd:
            return SGD(momentum: Float(spec.momentum), nesterov: spec.nesterov, weightDecay: weightDecay)
        case .adam:
            return Adam(beta1: Float(spec.beta1), beta2: Float(spec.beta2), eps: Float(spec.eps), weightDecay: weightDecay)
        case .adamw:
            return AdamW(beta1: Float(spec.beta1), beta2: Float(spec.beta2), eps: Float(spec.eps), weightDecay: weightDecay)
        case .adagrad:
            return Adagrad(eps: Float(spec.eps), weightDecay: weightDecay)
        case .rmsprop:
            return RMSprop(alpha: Float(spec.alpha), eps: Float(spec.eps), momentum: Float(spec.momentum), weightDecay: weightDecay)
        }
    }
}

/// Per-parameter state buffers, created zeroed on first use and keyed by position.
struct OptimizerSlots {
    private(set) var buffers: [[Float]] = []

    /// Makes sure there is one zeroed buffer per parameter; returns true when just created.
    mutating func prepare(for parameters: [Parameter]) -> Bool {
        if buffers.isEmpty {
            buffers = parameters.map { [Float](repeating: 0, count: $0.count) }
            return true
        }
        precondition(buffers.count == parameters.count && zip(buffers, parameters).allSatisfy { $0.count == $1.count },
                     "optimizer state was built for a different parameter list")
        return false
    }

    subscript(index: Int) -> [Float] {
        get { buffers[index] }
        _modify { yield &buffers[index] }
    }
}

/// Runs `body(value, grad, count)` over one parameter's value (mutable) and gradient.
@inline(__always)
func withValueAndGradient(
    _ parameter: Parameter, _ body: (UnsafeMutablePointer<Float>, UnsafePointer<Float>, Int) -> Void
) {
    let count = parameter.count
    parameter.grad.storage.withUnsafeBufferPointer { gradBuffer in
        parameter.value.storage.withUnsafeMutableBufferPointer { valueBuffer in
            guard let g = gradBuffer.baseAddress, let p = valueBuffer.baseAddress else { return }
            body(p, g, count)
        }
    }
}

/// Calls `body(offset, length)` once per touched row of `rows` (in any order), or once for
/// the whole buffer `(0, count)` when `rows` is nil (a dense update).
@inline(__always)
func forEachSegment(rows: TouchedRows?, count: Int, _ body: (Int, Int) -> Void) {
    guard let rows else { return body(0, count) }
    for row in rows.rows { body(Int(row) * rows.width, rows.width) }
}
