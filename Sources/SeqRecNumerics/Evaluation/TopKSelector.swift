// Partial selection of the k best items of a score row, for coverage@k. A bounded min-heap
// keeps the k best seen so far; most items fail the single comparison with its root, so a
// row costs about O(V) plus O(k log k).

/// Best-first order: higher score first, equal scores by lower item id (deterministic).
/// NaN scores are treated as -infinity.
package struct TopKSelector {
    private(set) var capacity: Int
    private var scores: [Float] = []
    private var items: [Int32] = []

    package init(capacity: Int) {
        self.capacity = capacity
        scores.reserveCapacity(capacity)
        items.reserveCapacity(capacity)
    }

    package mutating func reset() {
        scores.removeAll(keepingCapacity: true)
        items.removeAll(keepingCapacity: true)
    }

    @inline(__always)
    private static func isBetter(_ scoreA: Float, _ itemA: Int32, than scoreB: Float, _ itemB: Int32) -> Bool {
        scoreA > scoreB || (scoreA == scoreB && itemA < itemB)
    }

    /// Offers one candidate (raw score; NaN becomes -infinity).
    @inline(__always)
    package mutating func offer(item: Int32, score rawScore: Float) {
        let score = rawScore.isNaN ? -Float.infinity : rawScore
        if scores.count < capacity {
            scores.append(score)
            items.append(item)
            siftUp(scores.count - 1)
        } else if capacity > 0 && Self.isBetter(score, item, than: scores[0], items[0]) {
            scores[0] = score
            items[0] = item
            siftDown(0)
        }
    }

    /// The kept items, best first.
    func sortedItems() -> [Int32] { sortedEntries().map(\.item) }

    /// The kept items with their scores, best first.
    package func sortedEntries() -> [(item: Int32, score: Float)] {
        let order = (0..<items.count).sorted { Self.isBetter(scores[$0], items[$0], than: scores[$1], items[$1]) }
        return order.map { (items[$0], scores[$0]) }
    }

    // Min-heap on the best-first order: the root is the worst kept item.
    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.isBetter(scores[parent], items[parent], than: scores[child], items[child]) else { return }
            scores.swapAt(parent, child)
            items.swapAt(parent, child)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let count = scores.count
        while true {
            var worst = parent
            let left = 2 * parent + 1
            let right = left + 1
            if left < count && Self.isBetter(scores[worst], items[worst], than: scores[left], items[left]) { worst = left }
            if right < count && Self.isBetter(scores[worst], items[worst], than: scores[right], items[right]) { worst = right }
            if worst == parent { return }
            scores.swapAt(parent, worst)
            items.swapAt(parent, worst)
            parent = worst
        }
    }
}
