// Every parameter of a model in one place (llm.c's malloc_and_point_parameters): one
// contiguous 64-byte aligned buffer of values and one of gradients, each parameter a record
// (name, shape, offset) pointing into them. Zeroing, clipping, optimizer steps, replica
// sync and the data-parallel reduction are passes over contiguous ranges, and a checkpoint
// is a copy of each buffer.
//
// Layout: the dense parameters first, in model order, then the row-tracking ones; every
// parameter starts on a 16-float (64-byte) boundary, so the padding between parameters is
// zero in every buffer and stays zero under every elementwise update (zero gradient, zero
// value, zero state). `denseCount` elements cover all dense parameters and their padding.

public final class ParameterArena: @unchecked Sendable {
    /// In model order (the order of `init`'s list).
    package let parameters: [Parameter]
    /// Elements in each buffer (parameters plus alignment padding).
    public let count: Int
    /// [0, denseCount) holds every dense parameter; row-tracking parameters follow.
    package let denseCount: Int
    /// The row-tracking parameters (after the dense block).
    package let trackedParameters: [Parameter]
    private let memory: ParameterMemory

    static let alignment = 16

    /// Adopts `parameters` (each moves its values into the arena; gradients start at zero).
    /// Turn on row tracking before this.
    package init(_ parameters: [Parameter]) {
        let dense = parameters.filter { !$0.tracksRows }
        let tracked = parameters.filter(\.tracksRows)
        func aligned(_ n: Int) -> Int { (n + Self.alignment - 1) / Self.alignment * Self.alignment }
        var offsets: [ObjectIdentifier: Int] = [:]
        var end = 0
        for parameter in dense {
            offsets[ObjectIdentifier(parameter)] = end
            end = aligned(end + parameter.count)
        }
        let denseEnd = end
        for parameter in tracked {
            offsets[ObjectIdentifier(parameter)] = end
            end = aligned(end + parameter.count)
        }
        memory = ParameterMemory(count: end, isArena: true)
        for parameter in parameters {
            precondition(!parameter.isInArena, "\(parameter.name) already belongs to an arena")
            parameter.move(into: memory, at: offsets[ObjectIdentifier(parameter)] ?? 0)
        }
        self.parameters = parameters
        self.trackedParameters = tracked
        count = end
        denseCount = denseEnd
    }

    /// [count] values and gradients of every parameter.
    package var values: UnsafeMutablePointer<Float> { memory.values }
    package var grads: UnsafeMutablePointer<Float> { memory.grads }

    package var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }

    package subscript(name: String) -> Parameter? { parameters.first { $0.name == name } }

    /// Zeroes every gradient (the dense block in one pass, tracked parameters by their rows).
    public func zeroGrads() {
        grads.update(repeating: 0, count: denseCount)
        for parameter in trackedParameters { parameter.zeroGrad() }
    }

    /// A copy of every value (e.g. the best epoch's weights).
    public func copyValues() -> [Float] { Array(UnsafeBufferPointer(start: values, count: count)) }

    /// Overwrites every value with a copy made by `copyValues` of an arena of the same layout.
    package func restoreValues(_ saved: [Float]) {
        precondition(saved.count == count, "saved values hold \(saved.count) elements, the arena \(count)")
        saved.withUnsafeBufferPointer { source in
            guard let source = source.baseAddress else { return }
            values.update(from: source, count: count)
        }
    }

    /// Whether `other` has the same parameters (names, shapes) at the same offsets.
    package func hasSameLayout(as other: ParameterArena) -> Bool {
        count == other.count && denseCount == other.denseCount && parameters.count == other.parameters.count
            && zip(parameters, other.parameters).allSatisfy { $0.name == $1.name && $0.shape == $1.shape && $0.offset == $1.offset }
    }

    /// `parts` disjoint shares of the arena for parallel passes: the dense block cut into
    /// `parts` ranges of whole 8-float chunks, and the tracked parameters dealt largest first
    /// to the share with the least work. Together they cover every parameter exactly once.
    package func shares(_ parts: Int) -> [ArenaShare] {
        let parts = max(parts, 1)
        var shares = [ArenaShare](repeating: ArenaShare(dense: 0..<0, tracked: []), count: parts)
        let chunks = (denseCount + 7) / 8
        var work = [Int](repeating: 0, count: parts)
        for part in 0..<parts {
            let start = min(denseCount, chunks * part / parts * 8)
            let end = min(denseCount, chunks * (part + 1) / parts * 8)
            shares[part].dense = start..<end
            work[part] = end - start
        }
        let order = trackedParameters.indices.sorted {
            trackedParameters[$0].count != trackedParameters[$1].count
                ? trackedParameters[$0].count > trackedParameters[$1].count : $0 < $1
        }
        for index in order {
            let target = work.indices.min { work[$0] != work[$1] ? work[$0] < work[$1] : $0 < $1 } ?? 0
            shares[target].tracked.append(trackedParameters[index])
            work[target] += trackedParameters[index].count
        }
        return shares
    }
}

/// One worker's part of a parallel pass over an arena.
package struct ArenaShare: @unchecked Sendable {
    /// A range of the dense block.
    package var dense: Range<Int>
    /// Whole row-tracking parameters.
    package var tracked: [Parameter]
}
