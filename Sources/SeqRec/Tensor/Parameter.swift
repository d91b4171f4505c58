// A trainable tensor and its gradient. Layers own their Parameters; optimizers and the
// trainer see them as a flat list. Backward passes *add into* `grad`, and the trainer
// zeroes all grads before each step.
//
// Gradients are dense unless row tracking is on (`training.sparse_gradients`): then the
// parameter is a table of rows ([V, W], or [V] with W = 1), every backward pass that writes
// into a row of `grad` marks it, and zeroGrad, clipping, the optimizers and the
// data-parallel reduction touch only the marked rows. Unmarked rows of `grad` are zero (the
// invariant the sparse paths rely on: every gradient write marks its row).

public final class Parameter: @unchecked Sendable {
    /// PyTorch-style name, e.g. `encoder.lstm.weight_ih_l0`, used in fixtures and reports.
    public let name: String
    /// Any write outside a row-sparse optimizer step makes the next `copyValues` copy everything.
    public var value: Tensor { didSet { rowsChangedByLastUpdate = nil } }
    public var grad: Tensor
    /// The rows written since the last zeroGrad; nil for a dense parameter.
    public private(set) var touchedRows: TouchedRows?
    /// The only rows of `value` the last change touched (a row-sparse optimizer step), or nil
    /// when any value may have changed. What `copyValues` copies; zeroGrad leaves it alone.
    private(set) var rowsChangedByLastUpdate: [Int32]?

    public init(name: String, value: Tensor) {
        self.name = name
        self.value = value
        self.grad = Tensor(zeros: value.shape)
    }

    public var shape: [Int] { value.shape }
    public var count: Int { value.count }

    /// Turns on row tracking: rows are the first axis, a row is `count / shape[0]` values.
    /// Call before the first backward pass (the gradient must be all zero).
    public func enableRowTracking() {
        guard touchedRows == nil else { return }
        let rows = shape.first ?? 1
        precondition(rows > 0 && count % rows == 0, "\(name): cannot split shape \(shape) into rows")
        precondition(grad.storage.allSatisfy { $0 == 0 }, "\(name): enable row tracking before any gradient is accumulated")
        touchedRows = TouchedRows(rowCount: rows, width: count / rows)
    }

    /// Whether zeroGrad, clipping, optimizers and replicas handle only the touched rows.
    public var tracksRows: Bool { touchedRows != nil }

    /// Records that a backward pass wrote into `row` of `grad` (no-op for a dense parameter).
    @inline(__always)
    public func markRow(_ row: Int) {
        touchedRows?.mark(row)
    }

    /// Marks the rows `ids` names, skipping id 0 (padding, which never receives gradient).
    public func markRows(ids: UnsafeBufferPointer<Int32>) {
        guard touchedRows != nil else { return }
        for id in ids where id != 0 { touchedRows?.mark(Int(id)) }
    }

    /// The touched rows in increasing order (sorted in place on first call after marking),
    /// or nil for a dense parameter.
    public func sortedTouchedRows() -> [Int32]? {
        touchedRows?.sort()
        return touchedRows?.rows
    }

    public func zeroGrad() {
        guard touchedRows != nil else { return grad.zero() }
        zeroTouchedGradientRows()
        touchedRows?.removeAll()  // after the helper's copy is gone, so no copy-on-write
    }

    private func zeroTouchedGradientRows() {
        guard let tracked = touchedRows else { return }
        let width = tracked.width
        grad.storage.withUnsafeMutableBufferPointer { g in
            guard let base = g.baseAddress else { return }
            for row in tracked.rows { (base + Int(row) * width).update(repeating: 0, count: width) }
        }
    }

    /// Optimizers call this after updating only the touched rows of `value` (after their
    /// writes, which reset the record).
    func noteRowSparseUpdate() {
        rowsChangedByLastUpdate = touchedRows.map { $0.rows.map { $0 } }  // its own buffer: zeroGrad clears the marks
    }

    /// Data-parallel training: adds `scale` times a replica's gradient into this one (the
    /// reduction runs in a fixed replica order, so a given thread count gives
    /// bitwise-reproducible results). With row tracking only the replica's touched rows are
    /// added, and they are marked here (the row sets are united): O(touched rows), not O(table).
    public func accumulateGradient(from replica: Parameter, scale: Float = 1) {
        precondition(replica.count == count, "\(name): replica holds \(replica.count) values, expected \(count)")
        precondition(replica.tracksRows == tracksRows, "\(name): the replica must track rows exactly when this parameter does")
        grad.storage.withUnsafeMutableBufferPointer { destination in
            replica.grad.storage.withUnsafeBufferPointer { source in
                guard let to = destination.baseAddress, let from = source.baseAddress else { return }
                guard let replicaRows = replica.touchedRows else {
                    for index in destination.indices { to[index] += scale * from[index] }
                    return
                }
                let width = replicaRows.width
                for row in replicaRows.rows {
                    let offset = Int(row) * width
                    for index in offset..<(offset + width) { to[index] += scale * from[index] }
                    touchedRows?.mark(Int(row))
                }
            }
        }
    }

    /// grad *= factor (data-parallel training weighs each replica's mean-loss gradient); only
    /// the touched rows with row tracking (the others are zero).
    public func scaleGradient(by factor: Float) {
        guard factor != 1 else { return }
        let rows = touchedRows
        grad.storage.withUnsafeMutableBufferPointer { values in
            guard let base = values.baseAddress else { return }
            guard let rows else {
                for index in values.indices { base[index] *= factor }
                return
            }
            for row in rows.rows {
                let offset = Int(row) * rows.width
                for index in offset..<(offset + rows.width) { base[index] *= factor }
            }
        }
    }

    /// Data-parallel training: makes a replica's values equal to this parameter's, when the
    /// replica was equal before the last change of this parameter's values (sync after every
    /// optimizer step). After a row-sparse optimizer step only the rows it updated are copied
    /// (O(touched rows)); after any other write to `value`, everything. Reads nothing that
    /// zeroGrad or a backward pass writes, so it may run while those run on this parameter.
    public func copyValues(to replica: Parameter) {
        precondition(replica.count == count, "\(name): replica holds \(replica.count) values, expected \(count)")
        let rows = rowsChangedByLastUpdate
        let width = count / max(shape.first ?? 1, 1)
        replica.value.storage.withUnsafeMutableBufferPointer { destination in
            value.storage.withUnsafeBufferPointer { source in
                guard let to = destination.baseAddress, let from = source.baseAddress else { return }
                guard let rows else { return to.update(from: from, count: source.count) }
                for row in rows {
                    let offset = Int(row) * width
                    (to + offset).update(from: from + offset, count: width)
                }
            }
        }
    }

    /// Makes a replica's values equal to this parameter's, every value (a fresh replica).
    public func copyAllValues(to replica: Parameter) {
        precondition(replica.count == count, "\(name): replica holds \(replica.count) values, expected \(count)")
        replica.value.storage.withUnsafeMutableBufferPointer { destination in
            value.storage.withUnsafeBufferPointer { source in
                guard let to = destination.baseAddress, let from = source.baseAddress else { return }
                to.update(from: from, count: source.count)
            }
        }
    }
}

/// The set of rows of a [rowCount, width] table that received gradient since the last
/// zeroGrad: a membership flag per row plus the list of marked rows (O(1) mark, O(marked)
/// iteration and clearing).
public struct TouchedRows: Sendable {
    public let rowCount: Int
    /// Values per row.
    public let width: Int
    /// Marked rows, each once; in marking order until `sort()`.
    public private(set) var rows: [Int32] = []
    private var isMarked: [Bool]
    private var isSorted = true

    init(rowCount: Int, width: Int) {
        self.rowCount = rowCount
        self.width = width
        isMarked = [Bool](repeating: false, count: rowCount)
    }

    @inline(__always)
    mutating func mark(_ row: Int) {
        precondition(row >= 0 && row < rowCount, "row \(row) is outside 0..<\(rowCount)")
        if isMarked[row] { return }
        isMarked[row] = true
        if let last = rows.last, Int(last) > row { isSorted = false }
        rows.append(Int32(row))
    }

    public func contains(_ row: Int) -> Bool { isMarked[row] }

    mutating func sort() {
        if isSorted { return }
        rows.sort()
        isSorted = true
    }

    mutating func removeAll() {
        for row in rows { isMarked[Int(row)] = false }
        rows.removeAll(keepingCapacity: true)
        isSorted = true
    }
}
