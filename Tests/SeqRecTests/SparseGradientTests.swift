// Row-sparse gradients (training.sparse_gradients): SparseAdam and sparse Adagrad against
// PyTorch (fixture: Tests/Fixtures/sparse/sparse-optimizers.json, written by
// Tests/Fixtures/make_sparse_optimizers.py), laziness, sparse = dense where it must be
// (SGD, Adagrad, the clip norm), and the data-parallel reduction and sync.

import Foundation
import Testing
@testable import SeqRec

private struct SparseOptimizerFixture: Decodable {
    struct Settings: Decodable { let lr: Double; let beta1: Double?, beta2: Double?, eps: Double }
    struct Case: Decodable { let kind: String; let settings: Settings; let after: [[Float]]; let touched: [[Int32]] }
    let shape: [Int]
    let initial: [Float]
    let ids: [[Int32]]
    let upstream: [[Float]]
    let cases: [Case]
}

@Test func sparseAdamAndAdagradMatchTorch() throws {
    let url = HeadTestSupport.fixtures.deletingLastPathComponent().appendingPathComponent("sparse/sparse-optimizers.json")
    let fixture = try JSONDecoder().decode(SparseOptimizerFixture.self, from: Data(contentsOf: url))
    #expect(fixture.cases.map(\.kind) == ["adam", "adagrad"])
    let (rows, width) = (fixture.shape[0], fixture.shape[1])
    for testCase in fixture.cases {
        var spec = OptimizerSpec()
        spec.name = try #require(OptimizerKind(rawValue: testCase.kind))
        spec.learningRate = testCase.settings.lr
        spec.beta1 = testCase.settings.beta1 ?? spec.beta1
        spec.beta2 = testCase.settings.beta2 ?? spec.beta2
        spec.eps = testCase.settings.eps
        let optimizer = Optimizers.make(spec)
        var rng = SeededGenerator(seed: 1)
        let embedding = Embedding(vocabularySize: rows, dimension: width, rng: &rng)
        embedding.weight.value.storage = fixture.initial
        embedding.weight.enableRowTracking()
        for (step, ids) in fixture.ids.enumerated() {
            embedding.weight.zeroGrad()
            // dOutput [T, B, E] with B = 1: the upstream rows in id order.
            ids.withUnsafeBufferPointer { idBuffer in
                fixture.upstream[step].withUnsafeBufferPointer { upstream in
                    embedding.accumulateGradient(ids: idBuffer.baseAddress!, batch: 1, steps: ids.count, dOutput: upstream.baseAddress!)
                }
            }
            #expect(embedding.weight.sortedTouchedRows() == testCase.touched[step], "\(testCase.kind) step \(step + 1)")
            optimizer.step([embedding.weight], learningRate: Float(spec.learningRate))
            let expected = testCase.after[step]
            let error = zip(embedding.weight.value.storage, expected).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
            #expect(error < 1e-6, "\(testCase.kind) step \(step + 1): off by \(error)")
            // The padding row and the never-used row 9 are bitwise the initial values.
            for row in [0, 9] {
                let range = (row * width)..<((row + 1) * width)
                #expect(Array(embedding.weight.value.storage[range]) == Array(fixture.initial[range]))
            }
        }
    }
}

/// A [rows, width] parameter with row tracking and a seeded random value.
private func trackedParameter(rows: Int, width: Int, seed: UInt64) -> Parameter {
    var rng = SeededGenerator(seed: seed)
    let values = (0..<(rows * width)).map { _ in rng.nextFloat(in: -1, 1) }
    let parameter = Parameter(name: "table", value: Tensor(shape: width == 1 ? [rows] : [rows, width], storage: values))
    parameter.enableRowTracking()
    return parameter
}

/// Adds a seeded random gradient into `rows` of `parameter` and marks them.
private func addGradient(_ parameter: Parameter, rows: [Int], seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let width = parameter.count / parameter.shape[0]
    for row in rows {
        for column in 0..<width { parameter.grad.storage[row * width + column] += rng.nextFloat(in: -2, 2) }
        parameter.markRow(row)
    }
}

@Test func sparseAdamIsLazyAndDenseAdamIsNot() {
    let sparse = trackedParameter(rows: 40, width: 9, seed: 3)
    let dense = Parameter(name: "table", value: sparse.value)
    let (sparseAdam, denseAdam) = (Adam(), Adam())
    for parameter in [sparse, dense] { addGradient(parameter, rows: [1, 2, 30], seed: 4) }
    sparseAdam.step([sparse], learningRate: 0.01)
    denseAdam.step([dense], learningRate: 0.01)
    let afterFirst = sparse.value.storage
    let denseAfterFirst = dense.value.storage
    for parameter in [sparse, dense] {
        parameter.zeroGrad()
        addGradient(parameter, rows: [5], seed: 5)
    }
    sparseAdam.step([sparse], learningRate: 0.01)
    denseAdam.step([dense], learningRate: 0.01)
    let width = 9
    for row in 0..<40 {
        let range = (row * width)..<((row + 1) * width)
        let moved = Array(sparse.value.storage[range]) != Array(afterFirst[range])
        #expect(moved == (row == 5), "row \(row)")
    }
    // Dense Adam keeps moving the rows of step 1 on their first moment (the contrast).
    let row1 = (1 * width)..<(2 * width)
    #expect(Array(dense.value.storage[row1]) != Array(denseAfterFirst[row1]))
}

@Test func zeroGradClearsOnlyTouchedRowsAndTheirMarks() {
    let parameter = trackedParameter(rows: 12, width: 5, seed: 1)
    addGradient(parameter, rows: [7, 2, 7], seed: 2)
    #expect(parameter.sortedTouchedRows() == [2, 7])
    #expect(parameter.touchedRows?.contains(7) == true && parameter.touchedRows?.contains(3) == false)
    parameter.zeroGrad()
    #expect(parameter.sortedTouchedRows() == [])
    #expect(parameter.grad.storage.allSatisfy { $0 == 0 })
    #expect(parameter.touchedRows?.contains(7) == false)
}

@Test func clipNormOfTrackedRowsIsBitwiseTheDenseNorm() {
    // Widths 50 and 64 (a row not aligned to the 8 lanes, and aligned), a bias [V], tables
    // longer than one 1024-element flush block, a scalar tail, rows at both ends.
    let shapes: [(rows: Int, width: Int, touched: [Int])] = [
        (1001, 50, [0, 1, 19, 20, 21, 500, 999, 1000]),
        (300, 64, [3, 16, 17, 299]),
        (1001, 1, [0, 7, 8, 1023 % 1001, 1000]),
        (3, 50, [2]),
    ]
    for maxNorm: Float in [1e6, 0.5] {
        var sparse: [Parameter] = [], dense: [Parameter] = []
        for (index, shape) in shapes.enumerated() {
            let parameter = trackedParameter(rows: shape.rows, width: shape.width, seed: UInt64(index))
            addGradient(parameter, rows: shape.touched, seed: UInt64(10 + index))
            sparse.append(parameter)
            let copy = Parameter(name: "dense", value: parameter.value)
            copy.grad = parameter.grad
            dense.append(copy)
        }
        let sparseNorm = clipGradientNorm(sparse, maxNorm: maxNorm)
        let denseNorm = clipGradientNorm(dense, maxNorm: maxNorm)
        #expect(sparseNorm.bitPattern == denseNorm.bitPattern && sparseNorm > 1)
        for (a, b) in zip(sparse, dense) { #expect(a.grad.storage == b.grad.storage) }
        // Each parameter alone, too (one flush pattern per shape).
        for (a, b) in zip(sparse, dense) {
            #expect(SquaredNorm.rows(a.grad.storage, rows: a.sortedTouchedRows() ?? [], width: a.count / a.shape[0])
                        .bitPattern == SquaredNorm.dense(b.grad.storage).bitPattern)
        }
    }
}

private extension SquaredNorm {
    static func dense(_ values: [Float]) -> Double {
        values.withUnsafeBufferPointer { dense($0.baseAddress!, count: $0.count) }
    }
    static func rows(_ values: [Float], rows: [Int32], width: Int) -> Double {
        values.withUnsafeBufferPointer { self.rows($0.baseAddress!, count: $0.count, rows: rows, width: width) }
    }
}

/// A batch over items 1...items: row b walks item (start + 3t) % items + 1, some right padding.
private func walkBatch(rows: Int, steps: Int, items: Int, rng: inout SeededGenerator) -> SequenceBatch {
    var inputs: [Int32] = [], targets: [Int32] = []
    for b in 0..<rows {
        let start = rng.nextInt(below: items)
        let length = steps - b % 3
        for t in 0..<steps {
            inputs.append(t < length ? Int32((start + 3 * t) % items + 1) : 0)
            targets.append(t < length ? Int32((start + 3 * t + 3) % items + 1) : 0)
        }
    }
    return SequenceBatch(batchSize: rows, steps: steps, inputs: inputs, targets: targets,
                         ratings: [Float](repeating: 0, count: rows * steps), users: (0..<Int32(rows)).map { $0 })
}

private func makeModel(loss: LossKind, dropout: Double, items: Int, sparse: Bool) -> SequenceRecommender {
    var spec = ModelSpec()
    spec.cell = .lstm
    spec.embeddingSize = 8
    spec.hiddenSize = 10
    spec.dropout = dropout
    var rng = SeededGenerator(seed: 9)
    return SequenceRecommender(spec: spec, task: .nextItem, loss: loss, numItems: items, negatives: 5, sampling: .uniform,
                               itemCounts: [], sparseGradients: sparse, rng: &rng)
}

/// Trains both models on the same batches; returns their parameters after each step.
private func trainSideBySide(_ models: [SequenceRecommender], optimizer: () -> any Optimizer, items: Int,
                             steps: Int) -> [[[Float]]] {
    let optimizers = models.map { _ in optimizer() }
    var history: [[[Float]]] = models.map { _ in [] }
    for step in 0..<steps {
        for (index, model) in models.enumerated() {
            var data = SeededGenerator(seed: UInt64(100 + step))
            let batch = walkBatch(rows: 4, steps: 5, items: items, rng: &data)
            for parameter in model.parameters { parameter.zeroGrad() }
            _ = model.trainBatch(batch, rng: &data)
            clipGradientNorm(model.parameters, maxNorm: 0.5)  // active: the norms are larger
            optimizers[index].step(model.parameters, learningRate: 0.3)
            history[index].append(model.parameters.flatMap(\.value.storage))
        }
    }
    return history
}

@Test(arguments: [LossKind.sampledSoftmax, .crossEntropy], [0.0, 0.3])
func sparseSGDAndAdagradEqualDenseBitwise(loss: LossKind, dropout: Double) {
    // Batches of 4 x 5 = 20 positions. Dropout 0 with 12 items (V = 13 < 20) makes layer 0
    // read the embedding table directly (the lookup path); with dropout it reads gathered rows.
    let items = dropout == 0 ? 12 : 40
    for makeOptimizer in [{ SGD() as any Optimizer }, { Adagrad() as any Optimizer }] {
        let models = [false, true].map { makeModel(loss: loss, dropout: dropout, items: items, sparse: $0) }
        #expect(models[1].rowSparseParameters.allSatisfy(\.tracksRows) && !models[0].parameters.contains { $0.tracksRows })
        let history = trainSideBySide(models, optimizer: makeOptimizer, items: items, steps: 4)
        let identical = history[0] == history[1]  // (not in #expect: it would print every weight)
        #expect(identical, "\(loss) dropout \(dropout)")
        #expect(history[0][0] != history[0][3])  // training moved the weights
    }
}

@Test func sparseAdamTrainingLeavesUnusedItemsAlone() {
    // Items 1...30 exist; the batches of walkBatch over 20 items never use 21...30.
    let model = makeModel(loss: .sampledSoftmax, dropout: 0.2, items: 30, sparse: true)
    let embedding = model.encoder.embedding.weight
    let before = embedding.value.storage
    let optimizer = Adam()
    var data = SeededGenerator(seed: 5)
    for _ in 0..<3 {
        let batch = walkBatch(rows: 4, steps: 5, items: 20, rng: &data)
        for parameter in model.parameters { parameter.zeroGrad() }
        _ = model.trainBatch(batch, rng: &data)
        clipGradientNorm(model.parameters, maxNorm: 5)
        optimizer.step(model.parameters, learningRate: 0.01)
    }
    let width = embedding.count / embedding.shape[0]
    let unused = (21 * width)..<(31 * width)
    #expect(Array(embedding.value.storage[unused]) == Array(before[unused]))
    #expect(Array(embedding.value.storage[width..<(21 * width)]) != Array(before[width..<(21 * width)]))
}

@Test func replicaGradientsAddOnlyTouchedRowsAndUniteTheRowSets() {
    let master = trackedParameter(rows: 20, width: 6, seed: 1)
    let replicas = [trackedParameter(rows: 20, width: 6, seed: 1), trackedParameter(rows: 20, width: 6, seed: 1)]
    addGradient(master, rows: [4], seed: 2)
    addGradient(replicas[0], rows: [1, 4], seed: 3)
    addGradient(replicas[1], rows: [9, 1], seed: 4)
    var expected = master.grad.storage
    for replica in replicas {
        for index in expected.indices { expected[index] += replica.grad.storage[index] }
    }
    for replica in replicas { master.accumulateGradient(from: replica) }
    #expect(master.grad.storage == expected)
    #expect(master.sortedTouchedRows() == [1, 4, 9])
}

@Test func replicaSyncCopiesTheRowsASparseStepChangedAndEverythingOtherwise() {
    let master = trackedParameter(rows: 20, width: 6, seed: 1)
    let replica = trackedParameter(rows: 20, width: 6, seed: 1)
    // A sentinel in an untouched row shows what the sync copies.
    replica.value.storage[15 * 6] = 1234
    addGradient(master, rows: [3, 8], seed: 2)
    Adam().step([master], learningRate: 0.1)
    master.copyValues(to: replica)
    #expect(Array(replica.value.storage[18..<54]) == Array(master.value.storage[18..<54]))
    #expect(replica.value.storage[15 * 6] == 1234)  // row 15 did not change in the master: not copied
    // zeroGrad (which the data-parallel step runs on the master while replicas sync) does not
    // change what a sync copies.
    master.zeroGrad()
    replica.value.storage[3 * 6] = 99
    master.copyValues(to: replica)
    #expect(replica.value.storage[3 * 6] == master.value.storage[3 * 6] && replica.value.storage[15 * 6] == 1234)
    // A fresh replica gets everything.
    master.copyAllValues(to: replica)
    #expect(replica.value.storage == master.value.storage)
    // A dense step (RMSprop has no row-sparse rule) or a direct write makes the next sync full.
    replica.value.storage[15 * 6] = 1234
    addGradient(master, rows: [3], seed: 3)
    RMSprop().step([master], learningRate: 0.1)
    master.copyValues(to: replica)
    #expect(replica.value.storage == master.value.storage)
    replica.value.storage[15 * 6] = 1234
    master.zeroGrad()
    addGradient(master, rows: [3], seed: 4)
    Adam().step([master], learningRate: 0.1)
    master.value.storage[0] = 7
    master.copyValues(to: replica)
    #expect(replica.value.storage == master.value.storage)
}

@Test func twoThreadSparseTrainingKeepsReplicasInSyncAndEqualsDenseForSGD() {
    // Data-parallel steps as the trainer runs them (2 workers, gradients reduced into the
    // model, one SGD step, replicas re-synced at the next batch): sparse equals dense bitwise.
    var finals: [[Float]] = []
    for sparse in [false, true] {
        let trained = makeModel(loss: .sampledSoftmax, dropout: 0.3, items: 30, sparse: sparse)
        let step = DataParallelStep(model: trained, threads: 2, seed: 3)
        let optimizer = SGD()
        var data = SeededGenerator(seed: 8)
        for _ in 0..<4 {
            let batch = walkBatch(rows: 6, steps: 5, items: 30, rng: &data)
            _ = step.run(batch)
            clipGradientNorm(trained.parameters, maxNorm: 0.5)
            optimizer.step(trained.parameters, learningRate: 0.3)
        }
        finals.append(trained.parameters.flatMap(\.value.storage))
    }
    let identical = finals[0] == finals[1]
    #expect(identical)
    // With sparse Adam too, a replica re-synced by copyValues equals the model everywhere.
    let trained = makeModel(loss: .sampledSoftmax, dropout: 0.3, items: 30, sparse: true)
    let replica = trained.makeReplica()
    #expect(replica.sparseGradients && replica.rowSparseParameters.allSatisfy(\.tracksRows))
    let optimizer = Adam()
    var data = SeededGenerator(seed: 9)
    for _ in 0..<3 {
        let batch = walkBatch(rows: 4, steps: 5, items: 30, rng: &data)
        for (master, copy) in zip(trained.parameters, replica.parameters) {
            master.zeroGrad()
            copy.zeroGrad()
        }
        _ = trained.trainBatch(batch, rng: &data)
        _ = replica.trainBatch(walkBatch(rows: 2, steps: 5, items: 30, rng: &data), rng: &data)
        for (master, copy) in zip(trained.parameters, replica.parameters) { master.accumulateGradient(from: copy, scale: 0.5) }
        optimizer.step(trained.parameters, learningRate: 0.05)
        for (master, copy) in zip(trained.parameters, replica.parameters) { master.copyValues(to: copy) }
        let synced = zip(trained.parameters, replica.parameters).allSatisfy { $0.value.storage == $1.value.storage }
        #expect(synced)
    }
}

@Test func sparseGradientsConfigKeyIsReadAndDefaultsToDense() throws {
    let dense = try ConfigLoader.load(path: ConfigFixtures.temporaryFile("training: {optimizer: adam}\n"))
    #expect(dense.training.sparseGradients == false)
    let sparse = try ConfigLoader.load(path: ConfigFixtures.temporaryFile(
        "training: {optimizer: {name: sgd, learning_rate: 0.1}, sparse_gradients: true}\n"))
    #expect(sparse.training.sparseGradients == true)
}

/// Train losses of the tiny end-to-end experiment under sampled softmax with `optimizer`.
private func tinyRunLosses(optimizer: OptimizerKind, sparse: Bool, in directory: URL) throws -> [Double] {
    var spec = try ConfigLoader.load(path: ConfigFixtures.fixtures.appendingPathComponent("e2e/tiny.yaml").path)
    spec.training.loss = .sampledSoftmax
    spec.training.negatives = 6
    spec.training.optimizer.name = optimizer
    spec.training.sparseGradients = sparse
    spec.training.threads = 1
    spec.output.dir = directory.appendingPathComponent("\(optimizer.rawValue)-\(sparse)").path
    let outcome = ExperimentRunner.run(spec, options: RunOptions(quiet: true, configPath: ""))
    #expect(outcome.status == .ok, "\(outcome.message)")
    let report = try ReportReader.read(URL(fileURLWithPath: outcome.reportPath))
    return report.history.map(\.trainLoss)
}

@Test func runnerAppliesTrainingSparseGradients() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("seqrec-sparse-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: directory) }
    // SGD: sparse and dense are the same run, bit for bit.
    let sgd = try [false, true].map { try tinyRunLosses(optimizer: .sgd, sparse: $0, in: directory) }
    #expect(sgd[0] == sgd[1] && sgd[0].count == 2)
    // Adam: the key switches to SparseAdam, so the runs differ.
    let adam = try [false, true].map { try tinyRunLosses(optimizer: .adam, sparse: $0, in: directory) }
    #expect(adam[0] != adam[1] && adam[1].allSatisfy(\.isFinite))
}
