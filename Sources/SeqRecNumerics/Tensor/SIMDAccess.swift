// Unaligned 8-lane loads and stores on Float buffers: the building block of the
// elementwise loops (optimizer updates, softmax rows). 8 lanes = one AVX2 register.

extension UnsafePointer where Pointee == Float {
    /// The 8 floats starting at `index` (no alignment required).
    @inline(__always)
    func simd8(at index: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self + index).loadUnaligned(as: SIMD8<Float>.self)
    }
}

extension UnsafeMutablePointer where Pointee == Float {
    /// The 8 floats starting at `index` (no alignment required).
    @inline(__always)
    func simd8(at index: Int) -> SIMD8<Float> {
        UnsafeRawPointer(self + index).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// Stores 8 floats starting at `index` (no alignment required).
    @inline(__always)
    func setSIMD8(_ value: SIMD8<Float>, at index: Int) {
        UnsafeMutableRawPointer(self + index).storeBytes(of: value, as: SIMD8<Float>.self)
    }
}

/// Calls `body(j, lanes)` over 0..<count in 8-lane chunks: full chunks at 0, 8, ..., then one
/// chunk of `count % 8` lanes, so an elementwise kernel written once with
/// `VectorMath.load/store(_:count:)` covers the tail too (the tail's lanes get exactly the
/// full chunks' arithmetic).
@inline(__always)
func forEachChunk(_ count: Int, _ body: (_ start: Int, _ lanes: Int) -> Void) {
    var j = 0
    while j + 8 <= count {
        body(j, 8)
        j += 8
    }
    if j < count { body(j, count - j) }
}
