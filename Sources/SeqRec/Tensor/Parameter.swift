// A trainable tensor and its gradient. Layers own their Parameters; optimizers and the
// trainer see them as a flat list. Gradients are dense: backward passes *add into*
// `grad`, and the trainer zeroes all grads before each step.

public final class Parameter: @unchecked Sendable {
    /// PyTorch-style name, e.g. `encoder.lstm.weight_ih_l0`, used in fixtures and reports.
    public let name: String
    public var value: Tensor
    public var grad: Tensor

    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
        self.grad = Tensor(zeros: value.shape)
    }

    public var shape: [Int] { value.shape }
    public var count: Int { value.count }

    public func zeroGrad() { grad.zero() }

    /// Data-parallel training: adds a replica's gradient into this one (the reduction runs
    /// in a fixed replica order, so a given thread count gives bitwise-reproducible results).
    public func accumulateGradient(from replica: Parameter, scale: Float = 1) {
        precondition(replica.count == count, "\(name): replica holds \(replica.count) values, expected \(count)")
        grad.storage.withUnsafeMutableBufferPointer { destination in
            replica.grad.storage.withUnsafeBufferPointer { source in
                for index in destination.indices { destination[index] += scale * source[index] }
            }
        }
    }

    /// grad *= factor (data-parallel training weighs each replica's mean-loss gradient).
    public func scaleGradient(by factor: Float) {
        guard factor != 1 else { return }
        grad.storage.withUnsafeMutableBufferPointer { values in
            for index in values.indices { values[index] *= factor }
        }
    }

    /// Data-parallel training: makes a replica's values equal to this parameter's, after an
    /// optimizer step changed them.
    public func copyValues(to replica: Parameter) {
        precondition(replica.count == count, "\(name): replica holds \(replica.count) values, expected \(count)")
        replica.value.storage.withUnsafeMutableBufferPointer { destination in
            value.storage.withUnsafeBufferPointer { source in
                guard let to = destination.baseAddress, let from = source.baseAddress else { return }
                to.update(from: from, count: source.count)
            }
        }
    }
}
