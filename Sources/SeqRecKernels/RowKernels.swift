// Table rows: the embedding's gather and gradient scatter, and the recurrent layer's lookup of
// projected table rows; plus the row copy and add the other kernels share. Copies are exact
// and each sum is one addition per element, so every build gives the same bits.

import SeqRecKernelAPI

extension Kernels {
    public static func gatherRows(table: UnsafePointer<Float>, width: Int, ids: UnsafePointer<Int32>, idStride: Int,
                                  batch: Int, steps: Int, into output: UnsafeMutablePointer<Float>) {
        for b in 0..<batch {
            for s in 0..<steps {
                let id = Int(ids[b * idStride + s])  // validated by the caller
                RowKernels.copy(table + id * width, to: output + (s * batch + b) * width, count: width)
            }
        }
    }

    public static func scatterAddRows(_ rows: UnsafePointer<Float>, width: Int, ids: UnsafePointer<Int32>, idStride: Int,
                                      batch: Int, steps: Int, into table: UnsafeMutablePointer<Float>) {
        for b in 0..<batch {
            for s in 0..<steps {
                let id = Int(ids[b * idStride + s])
                if id == 0 { continue }
                RowKernels.add(rows + (s * batch + b) * width, into: table + id * width, count: width)
            }
        }
    }
}

enum RowKernels {
    /// destination[0..<count] = source[0..<count] (no overlap), a vector at a time. The rows
    /// copied per training step (hidden states, embeddings: 50-200 floats) are too short for
    /// memmove's call and size dispatch to pay off.
    @inline(__always)
    static func copy(_ source: UnsafePointer<Float>, to destination: UnsafeMutablePointer<Float>, count: Int) {
        forEachChunk(count) { j, n in VectorMath.store(VectorMath.load(source + j, count: n), to: destination + j, count: n) }
    }

    /// destination[0..<count] += source[0..<count].
    @inline(__always)
    static func add(_ source: UnsafePointer<Float>, into destination: UnsafeMutablePointer<Float>, count: Int) {
        forEachChunk(count) { j, n in
            VectorMath.store(VectorMath.load(destination + j, count: n) + VectorMath.load(source + j, count: n),
                             to: destination + j, count: n)
        }
    }

    /// Calls `body(j, lanes)` over 0..<count in Lanes-wide chunks: full chunks, then one chunk
    /// of the `count % Lanes.scalarCount` left (the tail's lanes get exactly the full chunks' arithmetic).
    @inline(__always)
    static func forEachChunk(_ count: Int, _ body: (_ start: Int, _ lanes: Int) -> Void) {
        let size = Lanes.scalarCount
        var j = 0
        while j + size <= count {
            body(j, size)
            j += size
        }
        if j < count { body(j, count - j) }
    }
}
