// Refuses a run that cannot fit in memory before anything is allocated, with the estimate
// and what the machine has, instead of letting the allocator abort or the kernel kill it.
//
// The estimate (float32, 4 bytes per value) counts what a run holds at its peak:
//   parameters P (ModelSize) x (values and gradients per worker (2K), optimizer slots,
//     best weights, one training-state snapshot with its optimizer copy, and that
//     snapshot's file image when checkpoints are on)
//   + K workers' activations for a batch of ceil(batch_size / K) positions (ModelSize: the
//     model's activation layout for that shape, exactly what it allocates), worker 0's at
//     least those of an evaluation forward over 256 users x max_length
//   + one evaluation batch's scores over the catalogue [256, V]
//   + the evaluation's per-case buffers for the validation and test cases
//     (EvaluationBuffers: metric values, coverage top lists, sampled negatives).
// It leaves out the process itself and the data (about 55 MB for MovieLens-100K) and errs
// high: on the shipped experiments it was 0-40% above the measured peak over that base
// (docs/performance.md). Available memory is
// MemAvailable from /proc/meminfo, capped by the cgroup (v2) limit when one is set (SLURM
// jobs, containers); elsewhere the physical memory.
import Foundation

package struct MemoryEstimate: Sendable, Equatable {
    package var parameters: Double
    /// Bytes of parameter-shaped buffers (weights, gradients, optimizer state, snapshots).
    package var parameterBytes: Double
    /// Bytes of the workers' activations and the evaluation scores.
    package var workspaceBytes: Double
    /// Bytes of the evaluation's per-case buffers (`EvaluationBuffers`).
    package var evaluationBytes: Double
    package var totalBytes: Double { parameterBytes + workspaceBytes + evaluationBytes }

    /// `evaluationCases`: the validation and test cases together (about twice the users).
    /// nil for the baselines (pop, markov), which hold counts only.
    package init?(_ spec: ExperimentSpec, numItems: Int, threads: Int, evaluationCases: Int = 0) {
        guard spec.model.cell.isTrainable else { return nil }
        let workers = Double(max(threads, 1))
        let maxLength = spec.split.maxLength
        parameters = ModelSize.parameterCount(spec.model, task: spec.task, loss: spec.training.loss,
                                              numItems: numItems, maxLength: maxLength)
        let optimizer = spec.training.optimizer
        let slots: Double = switch optimizer.name {
        case .adam, .adamw: 2
        case .adagrad: 1
        case .sgd: optimizer.momentum > 0 ? 1 : 0
        case .rmsprop: optimizer.momentum > 0 ? 2 : 1
        }
        let snapshot = spec.output.checkpoint ? 2 * (2 + slots) : 2 + slots
        parameterBytes = 4 * parameters * (2 * workers + slots + 1 + snapshot)
        // A worker's share of a batch: ceil(batch_size / K) target positions in windows of
        // max_length positions; the model's activation layout for that shape (ModelSize).
        let length = max(maxLength, 1)
        let positions = (Double(spec.training.batchSize) / workers).rounded(.up)
        let rows = Int((positions / Double(length)).rounded(.up))
        func workspace(_ shape: ActivationShape) -> Double {
            ModelSize.workspaceFloats(spec.model, loss: spec.training.loss, numItems: numItems,
                                      negatives: spec.training.negatives, maxLength: maxLength, shape: shape)
        }
        let perWorker = workspace(ActivationShape(batch: rows, steps: length, pass: .training))
        // Evaluation runs worker 0's model forward only (its arena keeps the larger layout)
        // on 256 users x max_length positions.
        let evaluation = workspace(ActivationShape(batch: RankingPass.batchSize, steps: length, pass: .evaluation))
        let scores = Double(RankingPass.batchSize) * (Double(numItems) + 1)
        workspaceBytes = 4 * ((workers - 1) * perWorker + max(perWorker, evaluation) + scores)
        evaluationBytes = spec.task == .rating ? 0
            : EvaluationBuffers.bytes(spec.evaluation, numItems: numItems, cases: evaluationCases)
    }
}

/// The run does not fit in the memory the machine has.
public struct MemoryBudgetError: Error, CustomStringConvertible, Sendable {
    package var estimate: MemoryEstimate
    package var availableBytes: Double
    /// "the 1,682 items of movielens-100k" or similar: which catalogue size the estimate used.
    package var catalogue: String

    public var description: String {
        "the run needs about \(MemoryBudget.format(estimate.totalBytes)) of memory but \(MemoryBudget.format(availableBytes)) is available "
            + "(estimate for \(catalogue): \(MemoryBudget.format(estimate.parameterBytes)) for "
            + "\(MemoryBudget.formatCount(estimate.parameters)) parameters with their gradients, optimizer state and snapshots, "
            + "\(MemoryBudget.format(estimate.workspaceBytes)) for activations and evaluation scores, "
            + "\(MemoryBudget.format(estimate.evaluationBytes)) for the evaluation's per-user buffers); "
            + (estimate.evaluationBytes > estimate.totalBytes / 2
                ? "reduce evaluation.candidates' sampled negatives or the coverage@k cut-off"
                : "reduce model.hidden_size, model.embedding_size, model.layers or model.blocks, training.batch_size or training.threads")
    }
}

public enum MemoryBudget {
    /// Throws when `spec`'s estimate at `numItems` items and `evaluationCases` validation and
    /// test cases exceeds `available`.
    public static func check(_ spec: ExperimentSpec, numItems: Int, evaluationCases: Int = 0, catalogue: String,
                             available: Double? = availableBytes()) throws(MemoryBudgetError) {
        let threads = CPUAllowance.threads(requested: spec.training.threads).count
        guard let estimate = MemoryEstimate(spec, numItems: numItems, threads: threads, evaluationCases: evaluationCases),
              let available,
              estimate.totalBytes > available else { return }
        throw MemoryBudgetError(estimate: estimate, availableBytes: available, catalogue: catalogue)
    }

    /// The catalogue size a config implies before any data is read: the synthetic generator's
    /// items, a built-in dataset's known count; nil for the user's own files.
    package static func knownItemCount(_ dataset: DatasetSpec) -> Int? {
        if let synthetic = dataset.synthetic { return synthetic.items }
        guard dataset.path == nil, let name = dataset.name else { return nil }
        return (try? BuiltinDataset.named(name))?.expectation.items
    }

    /// The users a config implies before any data is read (an upper bound after filtering),
    /// like `knownItemCount`; nil for the user's own files.
    package static func knownUserCount(_ dataset: DatasetSpec) -> Int? {
        if let synthetic = dataset.synthetic { return synthetic.users }
        guard dataset.path == nil, let name = dataset.name else { return nil }
        return (try? BuiltinDataset.named(name))?.expectation.users
    }

    /// Checks what can be checked from the config alone: the catalogue of a built-in or
    /// synthetic dataset, and for a file dataset everything that does not grow with it (one
    /// item); the run checks again once the file is loaded.
    package static func checkConfig(_ spec: ExperimentSpec) throws(MemoryBudgetError) {
        if let items = knownItemCount(spec.dataset) {
            // Every user gives at most one validation and one test case.
            let cases = 2 * (knownUserCount(spec.dataset) ?? 0)
            try check(spec, numItems: items, evaluationCases: cases, catalogue: "\(formatCount(Double(items))) items")
        } else {
            try check(spec, numItems: 1, catalogue: "any catalogue (the data file is not read yet)")
        }
    }

    /// Memory to ask a batch scheduler for, in MiB, for one task running any of `specs` with
    /// `threads` workers where a point leaves `training.threads` unset: the largest estimate
    /// plus a quarter and 512 MiB for the process and the data, which the estimate leaves
    /// out. nil when a point's catalogue is unknown before its data file is read.
    public static func jobMemoryMiB(_ specs: [ExperimentSpec], threads: Int) -> Int? {
        var largest = 0.0
        for spec in specs {
            guard let items = knownItemCount(spec.dataset) else { return nil }
            let cases = 2 * (knownUserCount(spec.dataset) ?? 0)
            let estimate = MemoryEstimate(spec, numItems: items, threads: spec.training.threads ?? threads,
                                          evaluationCases: cases)
            largest = max(largest, estimate?.totalBytes ?? 0)
        }
        let mebibyte = 1024.0 * 1024.0
        return Int(((largest * 1.25 + 512 * mebibyte) / mebibyte).rounded(.up))
    }

    /// `checkConfig` as `runner run` and `runner validate` apply it to every point.
    public static let configCheck: ConfigCommandLine.SpecCheck = { spec in
        do throws(MemoryBudgetError) {
            try checkConfig(spec)
            return nil
        } catch {
            return ("", error.description)
        }
    }

    /// Bytes available to this process, or nil when unknown.
    public static func availableBytes() -> Double? {
        var available: Double?
        if let meminfo = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = meminfo.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
           let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") {
            available = kilobytes * 1024
        }
        if let limit = cgroupValue("memory.max") {
            let headroom = limit - (cgroupValue("memory.current") ?? 0)
            available = min(available ?? headroom, headroom)
        }
        return available ?? Double(ProcessInfo.processInfo.physicalMemory)
    }

    /// A number from this process's cgroup v2 directory ("max" and absent give nil).
    private static func cgroupValue(_ file: String) -> Double? {
        guard let membership = try? String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8),
              let line = membership.split(separator: "\n").first(where: { $0.hasPrefix("0::") }) else { return nil }
        let path = "/sys/fs/cgroup" + line.dropFirst(3) + "/" + file
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return Double(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// 1.2 TB, 22.1 GB, 3.5 MB (decimal units, as `df -H` and PyTorch's messages use).
    static func format(_ bytes: Double) -> String {
        let units = ["bytes", "kB", "MB", "GB", "TB", "PB", "EB"]
        var value = bytes, unit = 0
        while value >= 1000, unit < units.count - 1 { value /= 1000; unit += 1 }
        return unit == 0 ? String(format: "%.0f bytes", value) : String(format: "%.1f %@", value, units[unit])
    }

    /// 40.0 billion, 1.2 million, 1,682.
    static func formatCount(_ count: Double) -> String {
        if count >= 1e9 { return String(format: "%.1f billion", count / 1e9) }
        if count >= 1e6 { return String(format: "%.1f million", count / 1e6) }
        let formatter = NumberFormatter()
        formatter.numberStyle = .decimal
        formatter.groupingSeparator = ","
        formatter.usesGroupingSeparator = true
        return formatter.string(from: NSNumber(value: count.rounded())) ?? String(Int(count))
    }
}
