// seqrec-bench: times (1) the recurrent stack alone (embedding + recurrent layers, forward +
// backward, no output layer) and (2) the whole training step (+ full-softmax output layer,
// cross-entropy, Adam) for each cell, next to PyTorch at the same thread count, and
// measures this machine's single-core sgemm rate at the same shapes in the same run.
//
//   OPENBLAS_NUM_THREADS=1 swift run -c release seqrec-bench [--python PATH] [--cells lstm,gru,rnn]
//       [--hidden 50,128,256] [--iterations 5] [--batch 256] [--steps 50] [--embedding 64]
//       [--layers 1] [--stack-only] [--output-rows 256,12800]
//   seqrec-bench export-split CONFIG --output DIR [--epochs E] [--set k=v]   (SplitExport.swift)
//   OPENBLAS_NUM_THREADS=1 seqrec-bench sgemm-rate [--hidden 50,128]          (JSON lines)
//   seqrec-bench checkpoint [--items N] [--hidden H] [--iterations I]        (CheckpointBench.swift)
//   OPENBLAS_NUM_THREADS=1 seqrec-bench evaluation [--cells ...] [--hidden ...] (EvaluationBench.swift)
//   seqrec-bench gelu [--count N] [--iterations I]                          (GELUBench.swift)
// The last two serve `make bench-e2e` (bench/e2e.py).
//
// --output-rows times only the full-softmax output layer (logits + cross-entropy + all its
// gradients, SoftmaxOutputLayer.lossAndBackward) on N rows that all have a target, for each
// N and H, next to PyTorch's Linear + CrossEntropyLoss forward + backward on the same shape.
//
// Without --python (or $SEQREC_PYTHON) only the Swift side runs. FLOPs count 2mnk per
// matrix product; per layer, forward = 2*B*T*G*H*(D + H) and backward = twice that.

import CPUCheck
import Foundation
import SeqRec

struct Options {
    var cells: [CellKind] = [.lstm, .gru, .rnn]
    var hidden: [Int] = [50, 128, 256]
    var batch = 256
    var steps = 50
    var embedding = 64
    var items = 1682
    var layers = 1
    var iterations = 5
    var wholeStep = true
    var outputRows: [Int] = []
    var python: String? = ProcessInfo.processInfo.environment["SEQREC_PYTHON"]

    init(arguments: [String]) {
        var index = 1
        func value() -> String {
            index += 1
            guard index < arguments.count else { fatalError("missing value after \(arguments[index - 1])") }
            return arguments[index]
        }
        func numbers(_ text: String) -> [Int] { text.split(separator: ",").compactMap { Int($0) } }
        while index < arguments.count {
            switch arguments[index] {
            case "--cells": cells = value().split(separator: ",").compactMap { CellKind(rawValue: String($0)) }
            case "--hidden": hidden = numbers(value())
            case "--batch": batch = Int(value()) ?? batch
            case "--steps": steps = Int(value()) ?? steps
            case "--embedding": embedding = Int(value()) ?? embedding
            case "--layers": layers = Int(value()) ?? layers
            case "--iterations": iterations = Int(value()) ?? iterations
            case "--python": python = value()
            case "--stack-only": wholeStep = false
            case "--output-rows": outputRows = numbers(value())
            default: fatalError("unknown option \(arguments[index])")
            }
            index += 1
        }
    }
}

/// CPU time of this thread, so that other processes sharing the cores do not inflate the
/// numbers (this machine is often oversubscribed); torch_step.py measures the same way.
func milliseconds(_ body: () -> Void) -> Double {
    var start = timespec(), end = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
    body()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
    return Double(end.tv_sec - start.tv_sec) * 1e3 + Double(end.tv_nsec - start.tv_nsec) / 1e6
}

/// Median and minimum over `iterations` timed runs after one warm-up.
func timeIt(iterations: Int, _ body: () -> Void) -> (median: Double, min: Double) {
    body()
    let times = (0..<max(iterations, 1)).map { _ in milliseconds(body) }.sorted()
    return (times[times.count / 2], times[0])
}

func peakResidentMB() -> Double {
    var usage = rusage()
    #if os(Linux)
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_maxrss) / 1024  // KiB on Linux
    #else
    getrusage(RUSAGE_SELF, &usage)
    return Double(usage.ru_maxrss) / 1_048_576  // bytes on macOS
    #endif
}

/// GFLOP/s of C[m, n] = A[m, k] x op(B) at one shape, repeated to ~50 ms.
func sgemmRate(m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool) -> Double {
    var rng = SeededGenerator(seed: 1)
    let a = (0..<(m * k)).map { _ in rng.nextFloat(in: -1, 1) }
    let b = (0..<(k * n)).map { _ in rng.nextFloat(in: -1, 1) }
    var c = [Float](repeating: 0, count: m * n)
    let flops = 2.0 * Double(m * n * k)
    let repeats = max(1, Int(5e9 / 100 / flops))  // ~50 ms at 100 GFLOP/s
    let time = timeIt(iterations: 3) {
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    for _ in 0..<repeats {
                        BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                                   a: pa.baseAddress!, lda: transA ? m : k, b: pb.baseAddress!, ldb: transB ? k : n,
                                   beta: 1, c: pc.baseAddress!, ldc: n)
                    }
                }
            }
        }
    }
    return flops * Double(repeats) / (time.min * 1e6)
}

struct TorchResult: Decodable {
    let mode: String; let cell: String; let hidden: Int; let ms: Double; let msMin: Double; let peakRssMB: Double
    var rows: Int? = nil
}

func runTorch(_ options: Options) -> [TorchResult] {
    guard let python = options.python else { return [] }
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("bench/torch_step.py")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    var arguments = [script.path, "--cells", options.cells.map(\.rawValue).joined(separator: ","),
                         "--hidden", options.hidden.map(String.init).joined(separator: ","),
                         "--batch", "\(options.batch)", "--steps", "\(options.steps)",
                         "--embedding", "\(options.embedding)", "--items", "\(options.items)",
                         "--layers", "\(options.layers)", "--iterations", "\(options.iterations)", "--threads", "1"]
    if options.wholeStep { arguments.append("--whole-step") }
    if !options.outputRows.isEmpty {
        arguments += ["--output-rows", options.outputRows.map(String.init).joined(separator: ",")]
    }
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch { print("could not run \(python): \(error)"); return [] }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: "\n").compactMap {
        try? JSONDecoder().decode(TorchResult.self, from: Data($0.utf8))
    }
}

/// Everything runs inside a function: top-level code is main-actor isolated in Swift 6,
/// and its globals cost executor checks inside the timed closures.
func runBenchmark(_ options: Options) {
    if !options.outputRows.isEmpty {
        runOutputLayer(options, torch: runTorch(options))
        return
    }
    let threads = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"] ?? "unset"
    print("seqrec-bench: recurrent stack alone (embedding + \(options.layers) layer(s), forward + backward)")
    print("B=\(options.batch) T=\(options.steps) E=\(options.embedding) items=\(options.items) OPENBLAS_NUM_THREADS=\(threads)")

    // Activation approximation accuracy, measured here too (the tests assert the bounds).
    do {
        let xs: [Float] = (-200_000...200_000).map { Float(Double($0) * 5e-5) } + (-1000...1000).map { Float($0) / 10 }
        var worst: [VectorMath.Function: Double] = [:]
        var ys = [Float](repeating: 0, count: xs.count)
        for function in [VectorMath.Function.tanh, .sigmoid] {
            xs.withUnsafeBufferPointer { input in ys.withUnsafeMutableBufferPointer { VectorMath.apply(function, input, into: $0) } }
            worst[function] = zip(xs, ys).map { x, y in
                let exact = function == .tanh ? tanh(Double(x)) : 1 / (1 + exp(-Double(x)))
                return abs(Double(y) - exact)
            }.max() ?? 0
        }
        let expInputs = xs.filter { $0 >= -87 && $0 <= 88 }
        var expOutputs = [Float](repeating: 0, count: expInputs.count)
        expInputs.withUnsafeBufferPointer { input in expOutputs.withUnsafeMutableBufferPointer { VectorMath.apply(.exp, input, into: $0) } }
        let expError = zip(expInputs, expOutputs).map { x, y in abs(Double(y) / exp(Double(x)) - 1) }.max() ?? 0
        print(String(format: "max |error| on [-100, 100]: tanh %.2e, sigmoid %.2e; exp relative error on [-87, 88]: %.2e",
                     worst[.tanh] ?? 0, worst[.sigmoid] ?? 0, expError))
    }

    let torch = runTorch(options)
    // The machine's single-core sgemm rate, measured in this run: a large square product
    // (each row below also measures its own shapes; the bound uses the highest rate seen).
    let peak = sgemmRate(m: 1024, n: 1024, k: 1024, transB: false)
    print(String(format: "sgemm [1024, 1024] x [1024, 1024]: %.1f GFLOP/s", peak) + "; " + BLASKernels.current.summary)
    print(KernelDispatch.current.summary)

    print("")
    print("cell  H    swift ms (min)  fwd ms   torch ms (min)    torch/swift  GFLOP/s nominal/executed  sgemm GFLOP/s [proj, step, dW_hh]  bound ms  max x")
    for hidden in options.hidden {
        for cell in options.cells {
            let gates = cell == .lstm ? 4 : (cell == .gru ? 3 : 1)
            var rng = SeededGenerator(seed: 42)
            let encoder = RecurrentEncoder(cell: cell, numItems: options.items, embeddingSize: options.embedding,
                                           hiddenSize: hidden, layers: options.layers, dropout: 0, rng: &rng)
            let count = options.batch * options.steps
            let ids = (0..<count).map { _ in Int32(1 + rng.nextInt(below: options.items)) }
            let upstream = (0..<(count * hidden)).map { _ in rng.nextFloat(in: -1, 1) }
            let time = timeIt(iterations: options.iterations) {
                for parameter in encoder.parameters { parameter.zeroGrad() }
                ids.withUnsafeBufferPointer { _ = encoder.forward(inputs: $0, batch: options.batch, steps: options.steps, training: true, rng: &rng) }
                upstream.withUnsafeBufferPointer { encoder.backward(dOutputs: $0) }
            }
            // Nominal FLOPs of the textbook algorithm (every product over all T*B rows), and the
            // FLOPs actually executed: layer 0 reads the embedding table, so its three input-side
            // products run over the V table rows instead of the T*B positions.
            let forwardTime = timeIt(iterations: options.iterations) {
            ids.withUnsafeBufferPointer { _ = encoder.forward(inputs: $0, batch: options.batch, steps: options.steps, training: true, rng: &rng) }
        }
        var flops = 0.0, executed = 0.0
            for layer in 0..<options.layers {
                let input = layer == 0 ? options.embedding : hidden
                flops += 3 * 2 * Double(count * gates * hidden * (input + hidden))
                let inputRows = layer == 0 ? min(count, options.items + 1) : count
                executed += 3 * 2 * Double(gates * hidden) * Double(inputRows * input + count * hidden)
            }
            // The shapes that run: the table projection, the per-step product, the per-step dW_hh^T.
            let projection = sgemmRate(m: min(count, options.items + 1), n: gates * hidden, k: options.embedding, transB: true)
            let step = sgemmRate(m: options.batch, n: gates * hidden, k: hidden, transB: true)
            let weightGrad = sgemmRate(m: hidden, n: gates * hidden, k: options.batch, transA: true, transB: false)
            // Bound: the executed FLOPs at the best sgemm rate of this run, with zero time for
            // everything else, and the largest torch/swift ratio that would allow.
            let bound = executed / (max(peak, projection, step, weightGrad) * 1e6)
            let maxRatio = reference(torch, "stack", cell, hidden).map { String(format: "%5.2fx", $0.msMin / bound) } ?? "    -"
            let torchRow = reference(torch, "stack", cell, hidden)
            let torchText = torchRow.map { String(format: "%7.2f (%7.2f)", $0.ms, $0.msMin) } ?? "      -          "
            let ratio = torchRow.map { String(format: "%6.2fx", $0.msMin / time.min) } ?? "     -"
            print(String(format: "%-5@ %-4d %7.2f (%7.2f) %6.2f  %@  %@   %6.1f / %5.1f     %5.1f %5.1f %5.1f        %7.2f  %@",
                         cell.rawValue, hidden, time.median, time.min, forwardTime.min, torchText, ratio, flops / (time.min * 1e6),
                         executed / (time.min * 1e6), projection, step, weightGrad, bound, maxRatio))
        }
    }
    if options.wholeStep { runWholeStep(options, torch: torch, peak: peak) }
    print(String(format: "peak RSS: swift %.0f MB%@", peakResidentMB(),
                 torch.first.map { String(format: ", torch %.0f MB", $0.peakRssMB) } ?? ""))
    print("times are thread CPU ms, median (min) of the iterations; ratio = torch min / swift min")
    print("GFLOP/s from min times; nominal = 2mnk over every product of the T*B-row algorithm, executed = what ran")
    print("bound = executed FLOPs at the highest sgemm rate of the run (nothing else costs time); max x = torch min / bound")
}

func reference(_ torch: [TorchResult], _ mode: String, _ cell: CellKind, _ hidden: Int) -> TorchResult? {
    torch.first { $0.mode == mode && $0.cell == cell.rawValue && $0.hidden == hidden }
}

/// One whole training step: SequenceRecommender (embedding -> stack -> full softmax over
/// items + 1 classes, cross-entropy) forward + backward, then Adam. No dropout, no padding.
func runWholeStep(_ options: Options, torch: [TorchResult], peak: Double) {
    print("")
    print("whole step (+ output layer [H] -> [\(options.items + 1)], cross-entropy, Adam)")
    print("cell  H    swift ms (min)   torch ms (min)    torch/swift  GFLOP/s executed  % of sgemm rate  bound ms  max x")
    for hidden in options.hidden {
        // The output layer's products: logits [T*B, V] = h [T*B, H] x W^T, and its two gradients.
        let classes = options.items + 1
        let rows = options.batch * options.steps
        let outputRate = sgemmRate(m: rows, n: classes, k: hidden, transB: true)
        for cell in options.cells {
            let gates = cell == .lstm ? 4 : (cell == .gru ? 3 : 1)
            var rng = SeededGenerator(seed: 7)
            var spec = ModelSpec()
            spec.cell = cell
            spec.embeddingSize = options.embedding
            spec.hiddenSize = hidden
            spec.layers = options.layers
            spec.dropout = 0
            let model = SequenceRecommender(spec: spec, task: .nextItem, loss: .crossEntropy, numItems: options.items,
                                            negatives: 0, sampling: .uniform, itemCounts: [], rng: &rng)
            let optimizer = Adam()
            let ids = (0..<rows).map { _ in Int32(1 + rng.nextInt(below: options.items)) }
            let targets = (0..<rows).map { _ in Int32(1 + rng.nextInt(below: options.items)) }
            let batch = SequenceBatch(batchSize: options.batch, steps: options.steps, inputs: ids, targets: targets,
                                      ratings: [Float](repeating: 0, count: rows), users: [Int32](repeating: 0, count: options.batch))
            let time = timeIt(iterations: options.iterations) {
                model.arena.zeroGrads()
                _ = model.trainBatch(batch, rng: &rng)
                optimizer.step(model.arena, learningRate: 1e-3)
            }
            // Executed FLOPs: the output layer's three products, and the stack's (layer 0's
            // input side over the table rows, as in the stack rows above).
            var executed = 3 * 2 * Double(rows * hidden * classes)
            for layer in 0..<options.layers {
                let input = layer == 0 ? options.embedding : hidden
                let inputRows = layer == 0 ? min(rows, options.items + 1) : rows
                executed += 3 * 2 * Double(gates * hidden) * Double(inputRows * input + rows * hidden)
            }
            let torchRow = reference(torch, "whole", cell, hidden)
            let torchText = torchRow.map { String(format: "%7.2f (%7.2f)", $0.ms, $0.msMin) } ?? "      -          "
            let ratio = torchRow.map { String(format: "%6.2fx", $0.msMin / time.min) } ?? "     -"
            let rate = executed / (time.min * 1e6)
            let best = max(peak, outputRate)
            let bound = executed / (best * 1e6)
            let maxRatio = torchRow.map { String(format: "%5.2fx", $0.msMin / bound) } ?? "    -"
            print(String(format: "%-5@ %-4d %7.2f (%7.2f)  %@  %@    %6.1f           %3.0f%% of %5.1f     %7.2f  %@",
                         cell.rawValue, hidden, time.median, time.min, torchText, ratio, rate,
                         100 * rate / best, best, bound, maxRatio))
        }
    }
    print("GFLOP/s = executed FLOPs (stack as above + 3 x 2*T*B*H*V for the output layer) / min time; the sgemm")
    print("rate is the higher of the square product's and the output layer's [T*B, H] x [H, V] product's, measured here;")
    print("bound = executed FLOPs at that rate; max x = torch min / bound")
}

/// The output layer alone: lossAndBackward on [N, H] rows (every row has a target), and
/// scores() for evaluation-sized batches.
func runOutputLayer(_ options: Options, torch: [TorchResult]) {
    let classes = options.items + 1
    print("output layer alone: [N, H] -> [N, \(classes)], cross-entropy, dW/db/dHidden")
    print("N      H    swift ms (min)   torch ms (min)    torch/swift  GFLOP/s   scores ms (min)")
    for hidden in options.hidden {
        for rows in options.outputRows {
            var rng = SeededGenerator(seed: 11)
            let layer = SoftmaxOutputLayer(classes: classes, inputSize: hidden, rng: &rng)
            let input = (0..<(rows * hidden)).map { _ in rng.nextFloat(in: -1, 1) }
            let targets = (0..<rows).map { _ in Int32(1 + rng.nextInt(below: options.items)) }
            var dHidden = [Float](repeating: 0, count: rows * hidden)
            let time = timeIt(iterations: options.iterations) {
                layer.weight.zeroGrad()
                layer.bias?.zeroGrad()
                input.withUnsafeBufferPointer { x in
                    targets.withUnsafeBufferPointer { t in
                        dHidden.withUnsafeMutableBufferPointer { d in
                            _ = layer.lossAndBackward(hidden: x.baseAddress!, targets: t, dHidden: d.baseAddress!)
                        }
                    }
                }
            }
            let scoreTime = timeIt(iterations: options.iterations) { _ = layer.scores(hidden: input) }
            let flops = 3 * 2 * Double(rows * hidden * classes)
            let reference = torch.first { $0.mode == "output" && $0.hidden == hidden && $0.rows == rows }
            let torchText = reference.map { String(format: "%7.2f (%7.2f)", $0.ms, $0.msMin) } ?? "      -          "
            let ratio = reference.map { String(format: "%6.2fx", $0.msMin / time.min) } ?? "     -"
            print(String(format: "%-6d %-4d %7.2f (%7.2f)  %@  %@    %6.1f    %7.2f (%7.2f)", rows, hidden, time.median, time.min,
                         torchText, ratio, flops / (time.min * 1e6), scoreTime.median, scoreTime.min))
        }
    }
    print(String(format: "peak RSS: swift %.0f MB", peakResidentMB()))
    print("times are thread CPU ms, median (min); GFLOP/s = 3 x 2*N*H*V / min time")
}

/// `seqrec-bench sgemm-rate [--hidden 50,128]`: this machine's single-thread sgemm rate (set
/// OPENBLAS_NUM_THREADS=1) as JSON lines: the BLAS and its kernels (`{"blas": {...}}`, as in a
/// report's provenance), a large square product (the peak) and, per H, the output layer's
/// block product [128, H] x [H, 1683] (what `make bench-e2e` compares with).
func printSgemmRates(arguments: [String]) {
    var hidden = [50, 128]
    if let flag = arguments.firstIndex(of: "--hidden"), flag + 1 < arguments.count {
        hidden = arguments[flag + 1].split(separator: ",").compactMap { Int($0) }
    }
    // First the BLAS and its kernels, which decide every rate below.
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    if let blas = try? encoder.encode(["blas": BLASKernels.current]) {
        print(String(decoding: blas, as: UTF8.self))
    }
    if let kernels = try? encoder.encode(["kernels": KernelDispatch.current]) {
        print(String(decoding: kernels, as: UTF8.self))
    }
    let square = sgemmRate(m: 1024, n: 1024, k: 1024, transB: false)
    print(#"{"shape": "square", "m": 1024, "n": 1024, "k": 1024, "gflops": \#(square)}"#)
    for h in hidden {
        let output = sgemmRate(m: 128, n: 1683, k: h, transB: true)
        print(#"{"shape": "output", "m": 128, "n": 1683, "k": \#(h), "gflops": \#(output)}"#)
    }
}

// The first statement, before any SeqRec code: refuse a CPU the haswell code would crash on.
seqrec_require_supported_cpu("seqrec-bench")
BLASKernels.useBestKernels(program: "seqrec-bench")
if let problem = KernelDispatch.startupProblem {
    FileHandle.standardError.write(Data("seqrec-bench: \(problem)\n".utf8))
    exit(2)
}
switch CommandLine.arguments.dropFirst().first {
case "export-split":
    do {
        try SplitExport.run(arguments: Array(CommandLine.arguments.dropFirst(2)))
    } catch {
        FileHandle.standardError.write(Data("\(error)\n".utf8))
        exit(2)
    }
case "evaluation":
    do {
        try EvaluationBench.run(arguments: Array(CommandLine.arguments.dropFirst(2)))
    } catch {
        FileHandle.standardError.write(Data("seqrec-bench evaluation: \(error)\n".utf8))
        exit(2)
    }
case "gelu":
    GELUBench.run(arguments: Array(CommandLine.arguments.dropFirst(2)))
case "sgemm-rate":
    printSgemmRates(arguments: CommandLine.arguments)
case "checkpoint":
    do {
        try CheckpointBench.run(arguments: Array(CommandLine.arguments.dropFirst(2)))
    } catch {
        FileHandle.standardError.write(Data("seqrec-bench checkpoint: \(error)\n".utf8))
        exit(1)
    }
default:
    runBenchmark(Options(arguments: CommandLine.arguments))
}
