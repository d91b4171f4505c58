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
