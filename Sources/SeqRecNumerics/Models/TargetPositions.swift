// The positions of a batch that have a next-item target, as every next-item head needs them:
// the full and sampled softmax and the binary cross-entropy each score only these rows.

enum TargetPositions {
    /// Fills `rows` [N] and `classes` [N] with the positions of `targets` [R] whose target is
    /// not 0 (padding or no target), in order; every class must be below `classCount`.
    static func gather(_ targets: UnsafeBufferPointer<Int32>, classCount: Int, rows: inout [Int], classes: inout [Int32]) {
        rows.removeAll(keepingCapacity: true)
        classes.removeAll(keepingCapacity: true)
        for (row, target) in targets.enumerated() where target != 0 {
            precondition(Int(target) < classCount, "target class \(target) out of range 0..<\(classCount)")
            rows.append(row)
            classes.append(target)
        }
    }
}
