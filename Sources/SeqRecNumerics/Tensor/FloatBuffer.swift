// A 64-byte aligned Float workspace. Layers keep their activations and scratch space in
// these so that hot loops work on raw pointers (no copy-on-write, no exclusivity checks).
// A buffer either owns its memory (grow-only: allocated once per batch shape, not per step)
// or is bound to a region of an ActivationArena, which it then never outgrows.

package final class FloatBuffer {
    package private(set) var pointer: UnsafeMutablePointer<Float>
    /// Number of Floats currently usable (the buffer may hold more).
    package private(set) var count: Int
    private var capacity: Int
    /// The arena region this buffer is bound to; nil while it owns its memory.
    package private(set) var region: String?
    /// The largest `count` asked for since the last `bind` (tests: a region is sized exactly).
    package private(set) var highWater = 0

    package init(count: Int = 0) {
        capacity = Swift.max(count, 1)
        pointer = FloatBuffer.allocateZeroed(capacity)
        self.count = count
    }

    deinit { if region == nil { pointer.deallocate() } }

    /// Makes room for `newCount` Floats. An owning buffer reallocates (zeroed) only when the
    /// capacity grows, otherwise the previous contents stay; returns true when it reallocated.
    /// A bound buffer never reallocates: `newCount` must fit its region.
    @discardableResult
    package func resize(to newCount: Int) -> Bool {
        count = newCount
        highWater = Swift.max(highWater, newCount)
        guard newCount > capacity else { return false }
        if let region {
            preconditionFailure("activation region \(region) holds \(capacity) floats, the layer asked for \(newCount)")
        }
        pointer.deallocate()
        capacity = newCount
        pointer = FloatBuffer.allocateZeroed(capacity)
        return true
    }

    /// Makes the buffer a view of `capacity` floats at `start` (an arena region named
    /// `region`), freeing memory it owned. The contents are the region's, not zeroed.
    package func bind(_ start: UnsafeMutablePointer<Float>, capacity: Int, region: String) {
        if self.region == nil { pointer.deallocate() }
        pointer = start
        self.capacity = capacity
        self.region = region
        count = 0
        highWater = 0
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
