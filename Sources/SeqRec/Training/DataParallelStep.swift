// One training batch's forward and backward pass spread over K worker threads (data
// parallelism), with a deterministic reduction.
//
// Worker k owns replica k of the model (replica 0 is the model itself; the others have
// their own parameters, gradients and workspaces) and its own dropout stream. Per batch:
//   1. the batch's rows are cut into K contiguous shards with about equal target counts;
//   2. every worker, in parallel: re-syncs its replica's values from the model (k > 0),
//      zeroes its gradients, runs forward + loss + backward on its shard;
//   3. the workers reduce, each a fixed group of parameters: grad = sum_k (n_k / N) * grad_k
//      in replica order, the gradient of the batch's mean loss (n_k targets in shard k, N in
//      the batch).
// The optimizer then steps the model's parameters, one optimizer per group in parallel
// (elementwise updates, so the grouping does not change the result). Same seed and same K give bitwise-identical
// runs; different K give (slightly) different ones, as dropout masks and summation order
// differ. K = 1 is exactly the single-threaded step.

final class DataParallelStep {
    private let replicas: [SequenceRecommender]      // [K], replicas[0] is the trained model
    private let replicaParameters: [[Parameter]]     // [K][P]
    private var dropoutStreams: [SeededGenerator]    // [K]
    private var shardResults: [(loss: Double, targets: Int)]
    /// The worker threads (nil at 1 thread), shared with the trainer's optimizer region.
    private let pool: WorkerPool?
    /// [K] disjoint groups of the model's parameter indices with about equal element counts:
    /// worker k reduces (and the trainer's k-th optimizer steps) group k.
    let parameterGroups: [[Int]]

    var threads: Int { replicas.count }

    /// `threads` workers (at least 1). Worker 0's dropout stream is the single-threaded
    /// run's ("dropout"), so a 1-thread run is unchanged by this type.
    init(model: SequenceRecommender, threads: Int, seed: UInt64) {
        let count = max(threads, 1)
        var models = [model]
        for _ in 1..<count { models.append(model.makeReplica()) }
        replicas = models
        replicaParameters = models.map(\.parameters)
        dropoutStreams = (0..<count).map {
            SeededGenerator(seed: seed, stream: $0 == 0 ? "dropout" : "dropout-\($0)")
        }
        shardResults = Array(repeating: (0, 0), count: count)
        pool = count > 1 ? WorkerPool(count: count) : nil
        parameterGroups = Self.balancedGroups(sizes: model.parameters.map(\.count), into: count)
    }

    /// Largest first, each to the currently smallest group (ties: lowest group); indices
    /// within a group ascending.
    static func balancedGroups(sizes: [Int], into parts: Int) -> [[Int]] {
        var groups = [[Int]](repeating: [], count: max(parts, 1))
        var totals = [Int](repeating: 0, count: groups.count)
        let order = sizes.indices.sorted { sizes[$0] != sizes[$1] ? sizes[$0] > sizes[$1] : $0 < $1 }
        for index in order {
            let target = totals.indices.min { totals[$0] != totals[$1] ? totals[$0] < totals[$1] : $0 < $1 } ?? 0
            groups[target].append(index)
            totals[target] += sizes[index]
        }
        return groups.map { $0.sorted() }
    }

    /// Runs `body(worker)` for worker 0..<threads on the worker threads; `body` must not let
    /// two workers write the same memory.
    func parallel(_ body: (Int) -> Void) {
        guard let pool else { return body(0) }
        pool.run(body)
    }

    /// Forward + backward of `batch`; afterwards the model's gradients hold the gradient of
    /// the batch's mean loss. Returns that mean loss and the batch's target count.
    func run(_ batch: SequenceBatch) -> (loss: Double, targets: Int) {
        guard threads > 1 else {
            for parameter in replicaParameters[0] { parameter.zeroGrad() }
            return replicas[0].trainBatch(batch, rng: &dropoutStreams[0])
        }
        let shards = Self.shardRows(of: batch, into: threads)
        let master = replicaParameters[0]
        replicas.withUnsafeBufferPointer { models in
        replicaParameters.withUnsafeBufferPointer { parameterLists in
        dropoutStreams.withUnsafeMutableBufferPointer { streams in
        shardResults.withUnsafeMutableBufferPointer { results in
            // Each iteration touches only its own replica, stream and result slot, and
            // reads the model's values (nobody writes them until the optimizer step).
            parallel { worker in
                let parameters = parameterLists[worker]
                if worker > 0 {
                    for (source, replica) in zip(master, parameters) { source.copyValues(to: replica) }
                }
                for parameter in parameters { parameter.zeroGrad() }
                let rows = shards[worker]
                results[worker] = rows.isEmpty ? (0, 0) : models[worker].trainBatch(batch.rows(rows), rng: &streams[worker])
            }
        }}}}
        let total = shardResults.reduce(0) { $0 + $1.targets }
        guard total > 0 else { return (0, 0) }
        let weights = shardResults.map { Float($0.targets) / Float(total) }
        let active = (1..<threads).filter { shardResults[$0].targets > 0 }
        parallel { worker in
            for index in parameterGroups[worker] {
                master[index].scaleGradient(by: weights[0])
                for replica in active {
                    master[index].accumulateGradient(from: replicaParameters[replica][index], scale: weights[replica])
                }
            }
        }
        let lossSum = shardResults.reduce(0.0) { $0 + $1.loss * Double($1.targets) }
        return (lossSum / Double(total), total)
    }

    /// Cuts rows 0..<B into `parts` contiguous ranges whose target counts are as equal as
    /// whole rows allow (each range gets at least one row while there are enough rows).
    static func shardRows(of batch: SequenceBatch, into parts: Int) -> [Range<Int>] {
        let rows = batch.batchSize
        var prefix = [Int](repeating: 0, count: rows + 1)  // targets in rows 0..<r
        for b in 0..<rows {
            var count = 0
            for t in 0..<batch.steps where batch.targets[b * batch.steps + t] != 0 { count += 1 }
            prefix[b + 1] = prefix[b] + count
        }
        var cuts = [0]
        for part in 1..<max(parts, 1) {
            let previous = cuts[cuts.count - 1]
            let goal = Double(prefix[rows]) * Double(part) / Double(parts)
            let low = min(rows, previous + (rows - previous > parts - part ? 1 : 0))
            let high = min(rows, max(low, rows - (parts - part)))
            var best = low
            for cut in low...high where abs(Double(prefix[cut]) - goal) < abs(Double(prefix[best]) - goal) {
                best = cut
            }
            cuts.append(best)
        }
        cuts.append(rows)
        return zip(cuts, cuts.dropFirst()).map { $0..<$1 }
    }
}
