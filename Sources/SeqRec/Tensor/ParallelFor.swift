// Runs independent pieces of numeric work on several threads at once (GCD's
// concurrentPerform). The callers' pieces touch disjoint data by construction (one model
// replica, one result slot, one row range each), which Swift's Sendable checking cannot see
// through unsafe pointers and class references; the unchecked box below states that promise
// in one place instead of at every call site.
import Dispatch

enum ParallelFor {
    /// Calls `body(0..<count)` concurrently, each index once, and returns when all are done.
    /// `body` must not let two indices write the same memory.
    static func run(_ count: Int, _ body: (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { work in
            let box = UncheckedSendable(work)
            DispatchQueue.concurrentPerform(iterations: count) { index in box.value(index) }
        }
    }
}

private struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
