// Small SIMD kernels on rows of Float buffers, shared by the output heads.

enum RowKernels {
    /// Grows a workspace (never shrinks it), so steady-state batches allocate nothing.
    @inline(__always)
    static func growIfNeeded(_ buffer: inout [Float], to count: Int) {
        if buffer.count < count { buffer = [Float](repeating: 0, count: count) }
    }

    /// destination[0..<count] += source[0..<count].
    @inline(__always)
    static func addRow(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        var j = 0
        while j + 8 <= count {
            destination.setSIMD8(destination.simd8(at: j) + source.simd8(at: j), at: j)
            j += 8
        }
        while j < count {
            destination[j] += source[j]
            j += 1
        }
    }

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var lanes = SIMD8<Float>.zero
        var j = 0
        while j + 8 <= count {
            lanes += a.simd8(at: j) * b.simd8(at: j)
            j += 8
        }
        var sum = lanes.sum()
        while j < count {
            sum += a[j] * b[j]
            j += 1
        }
        return sum
    }

    /// y += alpha * x.
    @inline(__always)
    static func axpy(_ alpha: Float, _ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>, count: Int) {
        let alphaLanes = SIMD8<Float>(repeating: alpha)
        var j = 0
        while j + 8 <= count {
            y.setSIMD8(y.simd8(at: j) + alphaLanes * x.simd8(at: j), at: j)
            j += 8
        }
        while j < count {
            y[j] += alpha * x[j]
            j += 1
        }
    }
}
