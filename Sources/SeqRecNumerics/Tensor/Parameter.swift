// A trainable tensor: a record (name, shape, where its values and gradient live, touched
// rows). A model's parameters live in one ParameterArena: `value` and `grad` point into the
// arena's two contiguous buffers. A parameter made on its own (a layer built alone in a
// test) holds its own memory until an arena adopts it. Backward passes *add into* `grad`.
//
// Gradients are dense unless row tracking is on (`training.sparse_gradients`): then the
// parameter is a table of rows ([V, W], or [V] with W = 1), every backward pass that writes
// into a row of `grad` marks it, and zeroing, clipping, the optimizers and the data-parallel
// reduction touch only the marked rows. Unmarked rows of `grad` are zero (the invariant the
// sparse paths rely on: every gradient write marks its row).

public final class Parameter: @unchecked Sendable {
    /// PyTorch-style name, e.g. `rnn.weight_ih_l0`, used in fixtures, reports and checkpoints.
    package let name: String
    package let shape: [Int]
    package let count: Int
    /// [count] values and gradient. Stable for the parameter's lifetime once in an arena.
    package private(set) var value: UnsafeMutablePointer<Float>
    package private(set) var grad: UnsafeMutablePointer<Float>
    /// Where `value` starts in its arena's buffers (0 for a parameter on its own).
    package private(set) var offset = 0
    /// The rows written since the last zeroing; nil for a dense parameter.
    package private(set) var touchedRows: TouchedRows?
    /// Keeps the memory `value` and `grad` point into alive.
    private var memory: ParameterMemory

    /// A parameter holding a copy of `values` ([shape.product]) and a zero gradient.
    package init(name: String, shape: [Int], values: [Float]) {
        let count = shape.reduce(1, *)
        precondition(values.count == count, "\(name): shape \(shape) holds \(count) values, got \(values.count)")
        self.name = name
        self.shape = shape
        self.count = count
        memory = ParameterMemory(count: count)
        value = memory.values
        grad = memory.grads
        values.withUnsafeBufferPointer { source in
            guard let source = source.baseAddress else { return }
            value.update(from: source, count: count)
        }
    }

    /// Moves this parameter (values and gradient) into `memory` at `offset`.
    func move(into memory: ParameterMemory, at offset: Int) {
        let destination = memory.values + offset
        destination.update(from: value, count: count)
        (memory.grads + offset).update(from: grad, count: count)
        self.memory = memory
        self.offset = offset
        value = destination
        grad = memory.grads + offset
    }

    package var isInArena: Bool { memory.isArena }

    /// A parameter of zeros.
    package convenience init(name: String, zeros shape: [Int]) {
        self.init(name: name, shape: shape, values: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// A copy of the values; setting it overwrites every value (`count` floats).
    package var valueArray: [Float] {
        get { Array(UnsafeBufferPointer(start: value, count: count)) }
        set { setValues(newValue) }
    }

    /// A copy of the gradient; setting it overwrites the whole gradient (tests).
    package var gradArray: [Float] {
        get { Array(UnsafeBufferPointer(start: grad, count: count)) }
        set { Self.copy(newValue, to: grad, count: count, name: name) }
    }

    /// Overwrites every value (loading weights); `values` must hold `count` floats.
    package func setValues(_ values: [Float]) { Self.copy(values, to: value, count: count, name: name) }

    private static func copy(_ values: [Float], to destination: UnsafeMutablePointer<Float>, count: Int, name: String) {
        precondition(values.count == count, "\(name): expected \(count) values, got \(values.count)")
        values.withUnsafeBufferPointer { source in
            guard let source = source.baseAddress else { return }
            destination.update(from: source, count: count)
        }
    }

    /// Turns on row tracking: rows are the first axis, a row is `count / shape[0]` values.
    /// Call before the first backward pass and before an arena adopts the parameter (the
    /// arena lays dense and row-tracking parameters out separately).
    package func enableRowTracking() {
        guard touchedRows == nil else { return }
        precondition(!memory.isArena, "\(name): enable row tracking before the parameter joins an arena")
        let rows = shape.first ?? 1
        precondition(rows > 0 && count % rows == 0, "\(name): cannot split shape \(shape) into rows")
        precondition(gradArray.allSatisfy { $0 == 0 }, "\(name): enable row tracking before any gradient is accumulated")
        touchedRows = TouchedRows(rowCount: rows, width: count / rows)
    }

    /// Whether zeroing, clipping, optimizers and replicas handle only the touched rows.
    package var tracksRows: Bool { touchedRows != nil }

    /// Values per row: the row width when tracking rows, else the whole parameter.
    var rowWidth: Int { touchedRows?.width ?? count }

    /// Records that a backward pass wrote into `row` of `grad` (no-op for a dense parameter).
    @inline(__always)
    package func markRow(_ row: Int) {
        touchedRows?.mark(row)
    }

    /// Marks the rows `ids` names, skipping id 0 (padding, which never receives gradient).
    package func markRows(ids: UnsafeBufferPointer<Int32>) {
        guard touchedRows != nil else { return }
        for id in ids where id != 0 { touchedRows?.mark(Int(id)) }
    }

    /// The touched rows in increasing order (sorted in place on first call after marking),
    /// or nil for a dense parameter.
    package func sortedTouchedRows() -> [Int32]? {
        touchedRows?.sort()
        return touchedRows?.rows
    }

    /// Zeroes the gradient: every value, or only the touched rows (then forgets them).
    public func zeroGrad() {
        guard let tracked = touchedRows else { return grad.update(repeating: 0, count: count) }
        for row in tracked.rows { (grad + Int(row) * tracked.width).update(repeating: 0, count: tracked.width) }
        touchedRows?.removeAll()
    }
}

/// Values and gradients of one or more parameters: two 64-byte aligned, zeroed buffers.
final class ParameterMemory: @unchecked Sendable {
    let count: Int
    let values: UnsafeMutablePointer<Float>
    let grads: UnsafeMutablePointer<Float>
    /// Whether this is an arena's memory (shared by several parameters).
    let isArena: Bool

    init(count: Int, isArena: Bool = false) {
        self.count = count
        self.isArena = isArena
        values = Self.allocateZeroed(count)
        grads = Self.allocateZeroed(count)
    }

    deinit {
        values.deallocate()
        grads.deallocate()
    }

    static func allocateZeroed(_ count: Int) -> UnsafeMutablePointer<Float> {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * MemoryLayout<Float>.stride, alignment: 64)
        let typed = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        typed.initialize(repeating: 0, count: max(count, 1))
        return typed
    }
}

/// The set of rows of a [rowCount, width] table that received gradient since the last
/// zeroing: a membership flag per row plus the list of marked rows (O(1) mark, O(marked)
/// iteration and clearing).
package struct TouchedRows: Sendable {
    package let rowCount: Int
    /// Values per row.
    package let width: Int
    /// Marked rows, each once; in marking order until `sort()`.
    package private(set) var rows: [Int32] = []
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

    package func contains(_ row: Int) -> Bool { isMarked[row] }

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
