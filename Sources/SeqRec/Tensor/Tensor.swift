// A contiguous Float32 row-major buffer with an explicit shape. Deliberately small: the
// layers own their buffers and work on them through unsafe pointers; Tensor is the unit
// of storage for parameters, gradients, activations and workspaces.

public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var storage: [Float]

    public init(zeros shape: [Int]) {
        self.shape = shape
        self.storage = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    public init(shape: [Int], storage: [Float]) {
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not match \(storage.count) values")
        self.shape = shape
        self.storage = storage
    }

    public var count: Int { storage.count }

    /// Sets every element to zero without reallocating.
    public mutating func zero() {
        storage.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }

    /// Reshapes in place to a shape with the same element count, or reallocates (zeroed)
    /// when the count changes. Used to size workspaces once per batch shape.
    public mutating func resize(to newShape: [Int]) {
        let newCount = newShape.reduce(1, *)
        if newCount != storage.count {
            storage = [Float](repeating: 0, count: newCount)
        }
        shape = newShape
    }
}
