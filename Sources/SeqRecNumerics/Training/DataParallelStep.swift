// One training batch's forward and backward pass spread over K worker threads (data
// parallelism), with a deterministic reduction.
//
// Worker k owns replica k of the model (replica 0 is the model itself; the others have
// their own parameters, gradients and workspaces) and its own dropout stream. Per batch:
//   1. the batch's rows are cut into K contiguous shards with about equal target counts;
//   2. every worker, in parallel: re-syncs its replica's values from the model (k > 0),
//      zeroes its gradients, runs forward + loss + backward on its shard;
//   3. the workers reduce, each a fixed share of the arena: grad = sum_k (n_k / N) * grad_k
//      in replica order, the gradient of the batch's mean loss (n_k targets in shard k, N in
//      the batch).
// The optimizer then updates the model's arena, each worker its share (elementwise updates,
// so the split does not change the result). Same seed and same K give bitwise-identical
// runs; different K give (slightly) different ones, as dropout masks and summation order
// differ. K = 1 is exactly the single-threaded step.

final class DataParallelStep {
    let replicas: [SequenceRecommender]              // [K], replicas[0] is the trained model
    private let arenas: [ParameterArena]             // [K] their parameters
    /// [K] per-worker dropout (and negative-sampling) streams; saved and restored on resume.
    var dropoutStreams: [SeededGenerator]
    private var shardResults: [(loss: Double, targets: Int)]
    /// The worker threads (nil at 1 thread).
    private let pool: WorkerPool?
    /// [K] disjoint shares of the arena: worker k reduces and updates share k.
    private let shares: [ArenaShare]
    /// Per tracked parameter of the model, the rows `update` changed since the replicas last
    /// copied the model's values, or nil when any value may have changed (the replicas then
    /// copy the whole parameter). The dense block is always copied whole.
    private var changedRows: [[Int32]?]

    var threads: Int { replicas.count }
    /// Why the worker threads could not all be started, or nil (see `WorkerPool.startFailure`).
    var startFailure: String? { pool?.startFailure }

    /// `threads` workers (at least 1). Worker 0's dropout stream is the single-threaded
    /// run's ("dropout"), so a 1-thread run is unchanged by this type.
    init(model: SequenceRecommender, threads: Int, seed: UInt64) {
        let count = max(threads, 1)
        var models = [model]
        for _ in 1..<count { models.append(model.makeReplica()) }
        replicas = models
        arenas = models.map(\.arena)
        dropoutStreams = (0..<count).map {
            SeededGenerator(seed: seed, stream: $0 == 0 ? "dropout" : "dropout-\($0)")
        }
        shardResults = Array(repeating: (0, 0), count: count)
        pool = count > 1 ? WorkerPool(count: count) : nil
        shares = model.arena.shares(count)
        changedRows = model.arena.trackedParameters.map { _ in nil }
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
            arenas[0].zeroGrads()
            return replicas[0].trainBatch(batch, rng: &dropoutStreams[0])
        }
        let shards = Self.shardRows(of: batch, into: threads)
        let master = arenas[0]
        replicas.withUnsafeBufferPointer { models in
        arenas.withUnsafeBufferPointer { arenaList in
        dropoutStreams.withUnsafeMutableBufferPointer { streams in
        shardResults.withUnsafeMutableBufferPointer { results in
            // Each iteration touches only its own replica, stream and result slot, and
            // reads the model's values (nobody writes them until the optimizer step).
            parallel { worker in
                if worker > 0 { copyChangedValues(from: master, to: arenaList[worker]) }
                arenaList[worker].zeroGrads()
                let rows = shards[worker]
                results[worker] = rows.isEmpty ? (0, 0) : models[worker].trainBatch(batch.rows(rows), rng: &streams[worker])
            }
        }}}}
        // Until the next `update`, any change to the model's values is unknown.
        for index in changedRows.indices { changedRows[index] = nil }
        let total = shardResults.reduce(0) { $0 + $1.targets }
        guard total > 0 else { return (0, 0) }
        let weights = shardResults.map { Float($0.targets) / Float(total) }
        let active = (1..<threads).filter { shardResults[$0].targets > 0 }
        parallel { worker in reduceGradients(share: shares[worker], weights: weights, from: active) }
        let lossSum = shardResults.reduce(0.0) { $0 + $1.loss * Double($1.targets) }
        return (lossSum / Double(total), total)
    }

    /// One optimizer step of the model, each worker updating its share; remembers which
    /// values changed so that the replicas copy only those before the next batch.
    func update(with optimizer: any Optimizer, learningRate: Float) {
        let master = arenas[0]
        optimizer.beginStep(master, learningRate: learningRate)
        parallel { optimizer.update(master, shares[$0]) }
        guard threads > 1 else { return }
        for (index, parameter) in master.trackedParameters.enumerated() {
            changedRows[index] = optimizer.updatesTouchedRowsOnly ? parameter.touchedRows?.rows : nil
        }
    }

    /// replica = master where the last step changed values: the dense block, and the changed
    /// rows of each tracked parameter (all of it when unknown). Reads nothing that zeroing or
    /// a backward pass writes, so it may run while those run on the master.
    private func copyChangedValues(from master: ParameterArena, to replica: ParameterArena) {
        replica.values.update(from: master.values, count: master.denseCount)
        for (index, parameter) in master.trackedParameters.enumerated() {
            let destination = replica.values + parameter.offset, source = master.values + parameter.offset
            guard let rows = changedRows[index] else {
                destination.update(from: source, count: parameter.count)
                continue
            }
            let width = parameter.rowWidth
            for row in rows { BufferOps.copyRow(source + Int(row) * width, to: destination + Int(row) * width, count: width) }
        }
    }

    /// grad = sum_k weights[k] * grad_k over one share, in replica order: the master's own
    /// gradient scaled, then each active replica's added (only its touched rows for a
    /// tracked parameter, whose rows the master then marks: the row sets are united).
    private func reduceGradients(share: ArenaShare, weights: [Float], from active: [Int]) {
        let master = arenas[0]
        func reduce(_ range: Range<Int>) {
            let g = master.grads + range.lowerBound
            let own = Float8(repeating: weights[0])
            forEachChunk(range.count) { j, n in VectorMath.store(VectorMath.load(g + j, count: n) * own, to: g + j, count: n) }
            for replica in active {
                let weight = Float8(repeating: weights[replica])
                let source = UnsafePointer(arenas[replica].grads + range.lowerBound)
                forEachChunk(range.count) { j, n in
                    VectorMath.store(VectorMath.load(g + j, count: n) + weight * VectorMath.load(source + j, count: n), to: g + j, count: n)
                }
            }
        }
        reduce(share.dense)
        for parameter in share.tracked {
            let width = parameter.rowWidth
            let own = Float8(repeating: weights[0])
            for row in parameter.touchedRows?.rows ?? [] {
                let g = parameter.grad + Int(row) * width
                forEachChunk(width) { j, n in VectorMath.store(VectorMath.load(g + j, count: n) * own, to: g + j, count: n) }
            }
            guard let index = master.parameters.firstIndex(where: { $0 === parameter }) else { continue }
            for replica in active {
                let copy = replicas[replica].arena.parameters[index]
                let weight = Float8(repeating: weights[replica])
                for row in copy.touchedRows?.rows ?? [] {
                    let g = parameter.grad + Int(row) * width, source = UnsafePointer(copy.grad + Int(row) * width)
                    forEachChunk(width) { j, n in
                        VectorMath.store(VectorMath.load(g + j, count: n) + weight * VectorMath.load(source + j, count: n), to: g + j, count: n)
                    }
                    parameter.markRow(Int(row))
                }
            }
        }
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
