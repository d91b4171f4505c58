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
}
