// Optimizers update a model's ParameterArena in place from its gradients, each with
// PyTorch's exact update rule (torch.optim, single-tensor CPU path, maximize = false). Their
// state (moments, sums, momentum buffers) is arena-shaped: element i of a state buffer
// belongs to element i of the arena, so an update is an elementwise pass over ranges of
// the arena, any split of it gives the same result, and a checkpoint copies each buffer.
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
    /// Whether a row-tracking parameter is updated only in its touched rows (else densely).
    var updatesTouchedRowsOnly: Bool { get }
    /// Starts a step: advances the step count and fixes this step's constants. Call once per
    /// step, before `update`.
    func beginStep(_ arena: ParameterArena, learningRate: Float)
    /// Updates arena elements `range` by the dense rule.
    func updateDense(_ arena: ParameterArena, _ range: Range<Int>)
    /// Updates arena elements `range` (one touched row of a tracked parameter) by the
    /// row-sparse rule.
    func updateRow(_ arena: ParameterArena, _ range: Range<Int>)
    /// Step count and state buffers (for checkpoints), and their restoration.
    var state: OptimizerState { get }
    /// The buffers `state` holds once a step was taken; with none, the step count stays 0
    /// (SGD without momentum keeps no state).
    var stateBufferNames: [String] { get }
    func restore(_ state: OptimizerState, arena: ParameterArena) throws(OptimizerStateError)
}

extension Optimizer {
    /// Updates one share of the arena (shares of one step may run in parallel).
    package func update(_ arena: ParameterArena, _ share: ArenaShare) {
        updateDense(arena, share.dense)
        for parameter in share.tracked {
            guard updatesTouchedRowsOnly, let rows = parameter.touchedRows else {
                updateDense(arena, parameter.offset..<(parameter.offset + parameter.count))
                continue
            }
            for row in rows.rows {
                let start = parameter.offset + Int(row) * rows.width
                updateRow(arena, start..<(start + rows.width))
            }
        }
    }

    /// One whole step on one thread.
    public func step(_ arena: ParameterArena, learningRate: Float) {
        beginStep(arena, learningRate: learningRate)
        for share in arena.shares(1) { update(arena, share) }
    }
}

package enum Optimizers {
    /// The optimizer an experiment asks for. `spec.learningRate` is not captured: the
    /// trainer passes the (scheduled) rate to every step.
    package static func make(_ spec: OptimizerSpec) -> any Optimizer {
        let weightDecay = Float(spec.weightDecay)
        switch spec.name {
        case .sgd:
            return SGD(momentum: Float(spec.momentum), nesterov: spec.nesterov, weightDecay: weightDecay)
        case .adam:
            return Adam(beta1: Float(spec.beta1), beta2: Float(spec.beta2), eps: Float(spec.eps), weightDecay: weightDecay)
        case .adamw:
            return Adam(beta1: Float(spec.beta1), beta2: Float(spec.beta2), eps: Float(spec.eps), weightDecay: weightDecay,
                        decoupled: true)
        case .adagrad:
            return Adagrad(eps: Float(spec.eps), weightDecay: weightDecay)
        case .rmsprop:
            return RMSprop(alpha: Float(spec.alpha), eps: Float(spec.eps), momentum: Float(spec.momentum), weightDecay: weightDecay)
        }
    }
}

/// An optimizer's resumable state: its step count and its arena-shaped buffers by name
/// (PyTorch's state keys: `exp_avg`, `exp_avg_sq`, `momentum_buffer`, `sum`, `square_avg`).
public struct OptimizerState: Equatable, Sendable {
    package var step: Int
    package var buffers: [String: [Float]]

    package init(step: Int, buffers: [String: [Float]]) {
        self.step = step
        self.buffers = buffers
    }
}

public enum OptimizerStateError: Error, Equatable, CustomStringConvertible {
    case missingBuffer(String)
    case wrongCount(String, expected: Int, found: Int)

    public var description: String {
        switch self {
        case .missingBuffer(let name): "optimizer state lacks buffer '\(name)'"
        case .wrongCount(let name, let expected, let found): "optimizer buffer '\(name)' holds \(found) values, expected \(expected)"
        }
    }
}

/// Arena-shaped state buffers, created zeroed (or filled) on the first step.
struct OptimizerSlots {
    let names: [String]
    private(set) var buffers: [FloatBuffer] = []
    private(set) var stepCount = 0

    init(_ names: [String]) { self.names = names }

    /// Makes sure the buffers exist for `arena` and advances the step count; returns true on
    /// the first step (the buffers were just made, zeroed or `initialValue`).
    @discardableResult
    mutating func beginStep(_ arena: ParameterArena, initialValue: Float = 0) -> Bool {
        stepCount += 1
        guard buffers.isEmpty else {
            precondition(buffers[0].count == arena.count, "optimizer state was built for an arena of \(buffers[0].count) elements, got \(arena.count)")
            return false
        }
        buffers = names.map { _ in FloatBuffer(count: arena.count) }
        if initialValue != 0 { for buffer in buffers { buffer.pointer.update(repeating: initialValue, count: buffer.count) } }
        return stepCount == 1
    }

    subscript(index: Int) -> UnsafeMutablePointer<Float> { buffers[index].pointer }

    var state: OptimizerState {
        OptimizerState(step: stepCount, buffers: Dictionary(uniqueKeysWithValues: zip(names, buffers.map {
            Array(UnsafeBufferPointer(start: $0.pointer, count: $0.count))
        })))
    }

    /// Restores a saved state; buffers are arena-shaped (`count` elements each).
    mutating func restore(_ state: OptimizerState, count: Int) throws(OptimizerStateError) {
        var restored: [FloatBuffer] = []
        if state.step > 0 {
            for name in names {
                guard let values = state.buffers[name] else { throw .missingBuffer(name) }
                guard values.count == count else { throw .wrongCount(name, expected: count, found: values.count) }
                let buffer = FloatBuffer(count: count)
                values.withUnsafeBufferPointer { source in
                    guard let source = source.baseAddress else { return }
                    buffer.pointer.update(from: source, count: count)
                }
                restored.append(buffer)
            }
        }
        buffers = restored
        stepCount = state.step
    }
}
