// The one allocation behind a model's activations (ActivationLayout): allocated for the
// largest layout it has been asked for and kept; a smaller layout (the last batch of an
// epoch, an evaluation batch) reuses it. Layers keep their FloatBuffers, which `bind` points
// at the layout's regions (ActivationCursor) instead of memory of their own.

package final class ActivationArena {
    private var storage: UnsafeMutablePointer<Float>
    /// Floats allocated.
    package private(set) var capacity = 0
    /// How many times the arena allocated (tests: a steady state allocates nothing).
    package private(set) var allocations = 0

    package init() {
        storage = Self.allocateZeroed(Self.alignedFloor)
    }

    deinit { storage.deallocate() }

    /// A cursor over `layout`'s regions in this arena, allocating (zeroed) first when the
    /// layout needs more floats than the arena holds. Regions keep whatever an earlier layout
    /// left in them: a layer zeroes what it reads before writing.
    package func cursor(for layout: ActivationLayout) -> ActivationCursor {
        guard let total = Int(exactly: layout.total) else {
            preconditionFailure("an activation layout of \(layout.total) floats")
        }
        if total > capacity {
            storage.deallocate()
            storage = Self.allocateZeroed(max(total, Self.alignedFloor))
            capacity = total
            allocations += 1
        }
        return ActivationCursor(base: storage, layout: layout)
    }

    /// The smallest allocation (one cache line), so that `storage` is always valid.
    private static let alignedFloor = ActivationLayout.alignment

    private static func allocateZeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: count * MemoryLayout<Float>.stride, alignment: 64)
        let typed = raw.bindMemory(to: Float.self, capacity: count)
        typed.initialize(repeating: 0, count: count)
        return typed
    }
}

/// Hands a layout's regions out in their order: each layer binds its buffers in the order its
/// `activationRegions` declared them.
package struct ActivationCursor {
    private let base: UnsafeMutablePointer<Float>
    package let layout: ActivationLayout
    private var next = 0

    init(base: UnsafeMutablePointer<Float>, layout: ActivationLayout) {
        self.base = base
        self.layout = layout
    }

    /// Points `buffer` at the next region, whose name must end with `suffix`.
    package mutating func bind(_ buffer: FloatBuffer, _ suffix: StaticString) {
        precondition(next < layout.regions.count, "no activation region left for \(suffix)")
        let region = layout.regions[next]
        let expected = UnsafeBufferPointer(start: suffix.utf8Start, count: suffix.utf8CodeUnitCount)
        precondition(region.name.utf8.reversed().starts(with: expected.reversed()),
                     "activation region \(region.name) bound as \(suffix): the layer binds in another order than it declares")
        buffer.bind(base + Int(region.offset), capacity: Int(region.count), region: region.name)
        next += 1
    }

    /// Checks that every region was bound.
    package func finish() {
        precondition(next == layout.regions.count,
                     "\(layout.regions.count - next) activation regions not bound, first \(layout.regions[min(next, layout.regions.count - 1)].name)")
    }
}
