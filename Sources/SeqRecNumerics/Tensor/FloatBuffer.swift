// A manually managed, 64-byte aligned Float workspace. Layers keep their activations and
// scratch space in these so that hot loops work on raw pointers (no copy-on-write, no
// exclusivity checks) and so that memory is allocated once per batch shape, not per step.

package final class FloatBuffer {
    package private(set) var pointer: UnsafeMutablePointer<Float>
    /// Number of Floats currently usable (the buffer may hold more).
    package private(set) var count: Int
    private var capacity: Int

    package init(count: Int = 0) {
        capacity = Swift.max(count, 1)
        pointer = FloatBuffer.allocateZeroed(capacity)
        self.count = count
    }

    deinit { pointer.deallocate() }

    /// Makes room for `newCount` Floats. Reallocates (zeroed) only when the capacity grows;
    /// otherwise the previous contents stay. Returns true when it reallocated.
    @discardableResult
    package func resize(to newCount: Int) -> Bool {
        count = newCount
        guard newCount > capacity else { return false }
        pointer.deallocate()
        capacity = newCount
        pointer = FloatBuffer.allocateZeroed(capacity)
        return true
    }

    package func zero() { pointer.update(repeating: 0, count: count) }

    package var buffer: UnsafeMutableBufferPointer<Float> { UnsafeMutableBufferPointer(start: pointer, count: count) }

    private static func allocateZeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        let typed = raw.bindMemory(to: Float.self, capacity: count)
        typed.initialize(repeating: 0, count: count)
        return typed
    }
}
