// Row-sparse gradients (training.sparse_gradients): SparseAdam and sparse Adagrad against
// PyTorch (fixture: Tests/Fixtures/sparse/sparse-optimizers.json, written by
// Tests/Fixtures/make_sparse_optimizers.py), laziness, sparse = dense where it must be
// (SGD, Adagrad, the clip norm), and the data-parallel reduction and sync.

import Foundation
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

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
        embedding.weight.setValues(fixture.initial)
        embedding.weight.enableRowTracking()
        let arena = ParameterArena([embedding.weight])
        for (step, ids) in fixture.ids.enumerated() {
            embedding.weight.zeroGrad()
            // dOutput [T, B, E] with B = 1: the upstream rows in id order.
            ids.withUnsafeBufferPointer { idBuffer in
                fixture.upstream[step].withUnsafeBufferPointer { upstream in
                    embedding.accumulateGradient(ids: idBuffer.baseAddress!, batch: 1, steps: ids.count, dOutput: upstream.baseAddress!)
                }
            }
            #expect(embedding.weight.sortedTouchedRows() == testCase.touched[step], "\(testCase.kind) step \(step + 1)")
            optimizer.step(arena, learningRate: Float(spec.learningRate))
            let expected = testCase.after[step]
            let error = zip(embedding.weight.valueArray, expected).map { abs($0 - $1) / (1 + abs($1)) }.max() ?? 0
            #expect(error < 1e-6, "\(testCase.kind) step \(step + 1): off by \(error)")
            // The padding row and the never-used row 9 are bitwise the initial values.
            for row in [0, 9] {
                let range = (row * width)..<((row + 1) * width)
                #expect(Array(embedding.weight.valueArray[range]) == Array(fixture.initial[range]))
            }
        }
    }
}

/// A [rows, width] parameter with row tracking and a seeded random value.
private func trackedParameter(rows: Int, width: Int, seed: UInt64) -> Parameter {
    var rng = SeededGenerator(seed: seed)
    let values = (0..<(rows * width)).map { _ in rng.nextFloat(in: -1, 1) }
    let parameter = Parameter(name: "table", shape: width == 1 ? [rows] : [rows, width], values: values)
    parameter.enableRowTracking()
    return parameter
}

/// Adds a seeded random gradient into `rows` of `parameter` and marks them.
private func addGradient(_ parameter: Parameter, rows: [Int], seed: UInt64) {
    var rng = SeededGenerator(seed: seed)
    let width = parameter.count / parameter.shape[0]
    for row in rows {
        for column in 0..<width { parameter.grad[row * width + column] += rng.nextFloat(in: -2, 2) }
        parameter.markRow(row)
    }
}

@Test func sparseAdamIsLazyAndDenseAdamIsNot() {
    let sparse = trackedParameter(rows: 40, width: 9, seed: 3)
    let dense = Parameter(name: "table", shape: sparse.shape, values: sparse.valueArray)
    let (sparseArena, denseArena) = (ParameterArena([sparse]), ParameterArena([dense]))
    let (sparseAdam, denseAdam) = (Adam(), Adam())
    for parameter in [sparse, dense] { addGradient(parameter, rows: [1, 2, 30], seed: 4) }
    sparseAdam.step(sparseArena, learningRate: 0.01)
    denseAdam.step(denseArena, learningRate: 0.01)
    let afterFirst = sparse.valueArray
    let denseAfterFirst = dense.valueArray
    for parameter in [sparse, dense] {
        parameter.zeroGrad()
        addGradient(parameter, rows: [5], seed: 5)
    }
    sparseAdam.step(sparseArena, learningRate: 0.01)
    denseAdam.step(denseArena, learningRate: 0.01)
    let width = 9
    for row in 0..<40 {
        let range = (row * width)..<((row + 1) * width)
        let moved = Array(sparse.valueArray[range]) != Array(afterFirst[range])
        #expect(moved == (row == 5), "row \(row)")
    }
    // Dense Adam keeps moving the rows of step 1 on their first moment (the contrast).
    let row1 = (1 * width)..<(2 * width)
    #expect(Array(dense.valueArray[row1]) != Array(denseAfterFirst[row1]))
}

@Test func zeroGradClearsOnlyTouchedRowsAndTheirMarks() {
    let parameter = trackedParameter(rows: 12, width: 5, seed: 1)
    addGradient(parameter, rows: [7, 2, 7], seed: 2)
    #expect(parameter.sortedTouchedRows() == [2, 7])
    #expect(parameter.touchedRows?.contains(7) == true && parameter.touchedRows?.contains(3) == false)
    parameter.zeroGrad()
    #expect(parameter.sortedTouchedRows() == [])
    #expect(parameter.gradArray.allSatisfy { $0 == 0 })
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
            let copy = Parameter(name: "dense", shape: parameter.shape, values: parameter.valueArray)
            copy.gradArray = parameter.gradArray
            dense.append(copy)
        }
        let sparseNorm = clipGradientNorm(ParameterArena(sparse), maxNorm: maxNorm)
        let denseNorm = clipGradientNorm(ParameterArena(dense), maxNorm: maxNorm)
        #expect(sparseNorm.bitPattern == denseNorm.bitPattern && sparseNorm > 1)
        for (a, b) in zip(sparse, dense) { #expect(a.gradArray == b.gradArray) }
        // Each parameter alone, too (one flush pattern per shape).
        for (a, b) in zip(sparse, dense) {
            #expect(SquaredNorm.rows(a.gradArray, rows: a.sortedTouchedRows() ?? [], width: a.count / a.shape[0])
                        .bitPattern == SquaredNorm.dense(b.gradArray).bitPattern)
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
            model.arena.zeroGrads()
            _ = model.trainBatch(batch, rng: &data)
            clipGradientNorm(model.arena, maxNorm: 0.5)  // active: the norms are larger
            optimizers[index].step(model.arena, learningRate: 0.3)
            history[index].append(model.parameters.flatMap(\.valueArray))
        }
    }
    return history
}

@Test(arguments: [LossKind.sampledSoftmax, .crossEntropy, .binaryCrossEntropy, .generalizedBinaryCrossEntropy], [0.0, 0.3])
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
    let embedding = model.encoder.itemTable
    let before = embedding.valueArray
    let optimizer = Adam()
    var data = SeededGenerator(seed: 5)
    for _ in 0..<3 {
        let batch = walkBatch(rows: 4, steps: 5, items: 20, rng: &data)
        model.arena.zeroGrads()
        _ = model.trainBatch(batch, rng: &data)
        clipGradientNorm(model.arena, maxNorm: 5)
        optimizer.step(model.arena, learningRate: 0.01)
    }
    let width = embedding.count / embedding.shape[0]
    let unused = (21 * width)..<(31 * width)
    #expect(Array(embedding.valueArray[unused]) == Array(before[unused]))
    #expect(Array(embedding.valueArray[width..<(21 * width)]) != Array(before[width..<(21 * width)]))
}

@Test func twoThreadReductionAddsOnlyTouchedRowsAndUnitesTheRowSets() {
    // Sparse and dense models on the same 2-thread batch: the reduced gradients agree
    // bitwise, and the sparse model's marks are the union of the workers' rows.
    var data = SeededGenerator(seed: 9)
    let batch = walkBatch(rows: 6, steps: 5, items: 30, rng: &data)
    var grads: [[Float]] = []
    for sparse in [false, true] {
        let trained = makeModel(loss: .sampledSoftmax, dropout: 0, items: 30, sparse: sparse)
        let step = DataParallelStep(model: trained, threads: 2, seed: 3)
        _ = step.run(batch)
        grads.append(trained.parameters.flatMap(\.gradArray))
        if sparse {
            let table = trained.encoder.itemTable
            let workerRows = step.replicas.map { Set($0.encoder.itemTable.touchedRows?.rows ?? []) }
            #expect(Set(table.sortedTouchedRows() ?? []) == workerRows[0].union(workerRows[1]))
            let width = table.count / table.shape[0]
            let untouched = (1..<31).filter { !(table.touchedRows?.contains($0) ?? true) }
            #expect(!untouched.isEmpty && untouched.allSatisfy { row in (0..<width).allSatisfy { table.grad[row * width + $0] == 0 } })
        }
    }
    let identical = grads[0] == grads[1]
    #expect(identical)
}

@Test func replicaSyncCopiesTheRowsASparseStepChangedAndEverythingOtherwise() {
    let trained = makeModel(loss: .sampledSoftmax, dropout: 0, items: 30, sparse: true)
    let step = DataParallelStep(model: trained, threads: 2, seed: 3)
    let replica = step.replicas[1]
    let (table, copy) = (trained.encoder.itemTable, replica.encoder.itemTable)
    let width = table.count / table.shape[0]
    var data = SeededGenerator(seed: 4)
    _ = step.run(walkBatch(rows: 6, steps: 5, items: 20, rng: &data))  // items 21...30 unused
    step.update(with: Adam(), learningRate: 0.1)
    // A sentinel in a row the step did not change shows what the next sync copies.
    copy.value[25 * width] = 1234
    let changed = table.sortedTouchedRows() ?? []
    _ = step.run(walkBatch(rows: 6, steps: 5, items: 20, rng: &data))
    for row in changed.map(Int.init) {
        #expect(Array(UnsafeBufferPointer(start: copy.value + row * width, count: width))
                    == Array(UnsafeBufferPointer(start: table.value + row * width, count: width)))
    }
    #expect(copy.value[25 * width] == 1234)  // row 25 did not change in the master: not copied
    // The dense block is copied whole every time.
    let dense = trained.arena.denseCount
    #expect(Array(UnsafeBufferPointer(start: replica.arena.values, count: dense))
                == Array(UnsafeBufferPointer(start: trained.arena.values, count: dense)))
    // A step not made through `update` (or a direct write) makes the next sync full.
    Adam().step(trained.arena, learningRate: 0.1)
    table.value[0] = 7
    _ = step.run(walkBatch(rows: 6, steps: 5, items: 20, rng: &data))
    #expect(copy.value[25 * width] == table.value[25 * width] && copy.value[0] == 7)
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
            clipGradientNorm(trained.arena, maxNorm: 0.5)
            step.update(with: optimizer, learningRate: 0.3)
        }
        finals.append(trained.parameters.flatMap(\.valueArray))
    }
    let identical = finals[0] == finals[1]
    #expect(identical)
    // With sparse Adam too, a replica re-synced before each batch equals the model everywhere.
    let trained = makeModel(loss: .sampledSoftmax, dropout: 0.3, items: 30, sparse: true)
    let step = DataParallelStep(model: trained, threads: 2, seed: 3)
    let replica = step.replicas[1]
    #expect(replica.sparseGradients && replica.rowSparseParameters.allSatisfy(\.tracksRows))
    let optimizer = Adam()
    var data = SeededGenerator(seed: 9)
    for _ in 0..<3 {
        _ = step.run(walkBatch(rows: 4, steps: 5, items: 30, rng: &data))
        step.update(with: optimizer, learningRate: 0.05)
        _ = step.run(walkBatch(rows: 4, steps: 5, items: 30, rng: &data))  // syncs, then trains
        let synced = trained.arena.copyValues() == replica.arena.copyValues()
        #expect(synced)
        step.update(with: optimizer, learningRate: 0.05)
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
    let outcome = ExperimentRunner.run(spec, options: RunOptions(quiet: true, configPath: ""), datasets: DatasetCache())
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
