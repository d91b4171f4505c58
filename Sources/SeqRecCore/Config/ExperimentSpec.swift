// The validated, fully-defaulted experiment: what a YAML file (plus `extends:` and
// `--set` overrides) resolves to. Every other layer reads only these types, never YAML.
// Field names here are the Swift spelling of the YAML keys (snake_case in YAML).

/// A whole experiment. YAML keys: name, seed, task, dataset, split, model, training,
/// evaluation, output (and `extends`, which is consumed while loading).
public struct ExperimentSpec: Sendable, Equatable, Codable {
    public var name: String
    /// The row name `runner compare` shows; recorded in reports, not part of the config hash.
    public var label: String?
    public var seed: UInt64 = 42
    public var task: TaskKind = .nextItem
    public var dataset: DatasetSpec = DatasetSpec()
    public var split: SplitSpec = SplitSpec()
    public var model: ModelSpec = ModelSpec()
    public var training: TrainingSpec = TrainingSpec()
    public var evaluation: EvaluationSpec = EvaluationSpec()
    public var output: OutputSpec

    public init(name: String) {
        self.name = name
        self.output = OutputSpec(dir: "results/\(name)")
    }
}

public enum TaskKind: String, Sendable, Codable, CaseIterable {
    case nextItem = "next-item"
    case rating
}

// MARK: - Dataset

public struct DatasetSpec: Sendable, Equatable, Codable {
    /// A built-in dataset (`movielens-100k`, `movielens-1m`); exclusive with `path` and `synthetic`.
    package var name: String? = "movielens-100k"
    /// A user's own interaction file, relative to the config file's directory.
    package var path: String? = nil
    /// Format of `path`; nil means detect from the extension.
    package var format: DataFormat? = nil
    /// Column names for csv/tsv (and optionally recbole) files.
    package var columns: ColumnMapping? = nil
    /// Generate data instead of reading it.
    package var synthetic: SyntheticSpec? = nil
    package var minUserInteractions: Int = 5
    package var minItemInteractions: Int = 1
    /// Keep only events with rating >= threshold (implicit feedback); nil keeps all.
    package var ratingThreshold: Double? = nil
    /// What to do with repeated (user, item) events.
    package var duplicates: DuplicatePolicy = .keep
    /// Where downloads are cached; nil means $SEQREC_DATA_DIR, else `data/`.
    package var cacheDir: String? = nil

    package init() {}
}

package enum DataFormat: String, Sendable, Codable, CaseIterable {
    case csv, tsv, movielens
    case movielensDat = "movielens-dat"
    case recbole, sasrec
}

package struct ColumnMapping: Sendable, Equatable, Codable {
    package var user: String = "user_id"
    package var item: String = "item_id"
    package var rating: String? = nil
    package var timestamp: String? = nil
    package init() {}
}

/// Planted long-range data: first-order transitions plus key -> answer exactly `lag` steps later.
package struct SyntheticSpec: Sendable, Equatable, Codable {
    package var users: Int = 2000
    package var items: Int = 300
    package var length: Int = 40
    package var lag: Int = 20
    /// The shortest lag: the query sits between the second key and the first answer.
    package static let minLag = 3
    /// Probability that a filler step ignores the transition table and draws uniformly.
    package var noise: Double = 0.2
    /// Number of key items (each with its own answer item).
    package var keys: Int = 10
    // The generator holds every event in memory (item, rating and timestamp: 16 bytes) and a
    // transition table and a name per item, so its size is bounded before anything is made:
    // 10 million users or items and 100 million events (MovieLens-25M has 25 million) keep
    // it within a few GB, the memory guard's business from there on.
    package static let maxUsers = 10_000_000
    package static let maxItems = 10_000_000
    package static let maxLength = 100_000
    package static let maxEvents = 100_000_000
    package init() {}
}

package enum DuplicatePolicy: String, Sendable, Codable, CaseIterable {
    /// Keep every event (a re-watch is a new event in the sequence).
    case keep
    /// Keep only the first occurrence of each (user, item).
    case first
    /// Keep only the last occurrence of each (user, item).
    case last
}

// MARK: - Split

public struct SplitSpec: Sendable, Equatable, Codable {
    package var method: SplitMethod = .leaveOneOut
    /// Input window, in items (>= 2).
    public var maxLength: Int = 50
    /// For `user-ratio`: train/validation/test fractions per user, summing to 1.
    package var ratios: [Double] = [0.8, 0.1, 0.1]
    /// For `temporal`: the quantiles of all timestamps where validation and test begin.
    package var temporalCuts: [Double] = [0.8, 0.9]
    package init() {}
}

package enum SplitMethod: String, Sendable, Codable, CaseIterable {
    case leaveOneOut = "leave-one-out"
    case userRatio = "user-ratio"
    case temporal
}

// MARK: - Model

public struct ModelSpec: Sendable, Equatable, Codable {
    public var cell: CellKind = .lstm
    public var embeddingSize: Int = 64
    public var hiddenSize: Int = 50
    public var layers: Int = 1
    /// Inverted dropout on the embedding output and between recurrent layers, in [0, 1).
    public var dropout: Double = 0.2
    /// Inverted dropout on the top recurrent layer's outputs (the output layer's input), in [0, 1).
    public var outputDropout: Double = 0
    /// Added to the LSTM forget gate's bias (bias_ih block f of every layer) after PyTorch's
    /// uniform init; 0 keeps PyTorch's init exactly. Ignored by the GRU and RNN cells.
    public var forgetBias: Double = 0
    /// SASRec only: transformer blocks (attention + feed-forward).
    public var blocks: Int = 2
    /// SASRec only: attention heads; must divide `hiddenSize` (the model width).
    public var heads: Int = 1
    /// SASRec only: where the layer norms sit in a block.
    public var norm: LayerNormPlacement = .pre
    /// BERT4Rec only: the probability that a training item is masked (the cloze task), in (0, 1).
    package var maskProbability: Double = 0.2
    public init() {}
}

/// Layer-norm placement in a SASRec block (the port's `norm_first` true / false).
public enum LayerNormPlacement: String, Sendable, Codable, CaseIterable {
    /// x + MHA(LN(x)), then x + FFN(LN(x)) (pre-LN, the port's `--norm_first`).
    case pre
    /// LN(x + MHA(x)), then LN(x + FFN(x)) (post-LN, the port's default).
    case post
}

public enum CellKind: String, Sendable, Codable, CaseIterable {
    case lstm, gru, rnn
    /// Self-attention (SASRec: Kang & McAuley 2018), trained like the recurrent cells.
    case sasrec
    /// Bidirectional self-attention trained on the cloze task (BERT4Rec: Sun et al. 2019).
    case bert4rec
    /// Training popularity; no gradient.
    case pop
    /// First-order item-to-item transitions, falling back to popularity; no gradient.
    case markov
}

// MARK: - Training

public struct TrainingSpec: Sendable, Equatable, Codable {
    public var epochs: Int = 100
    public var batchSize: Int = 256
    public var optimizer: OptimizerSpec = OptimizerSpec()
    package var loss: LossKind = .crossEntropy
    /// The negatives each target is scored against: shared by the batch (`sampled-softmax`)
    /// or drawn per target (`gbce`); `bce` draws one. How negatives are drawn: all three.
    package var negatives: Int = 100
    package var negativeSampling: SamplingStrategy = .uniform
    /// For `gbce`: the calibration t in [0, 1] (gSASRec's default 0.75).
    public var gbceT: Double = 0.75
    /// Global gradient-norm clip; nil disables clipping.
    public var clipNorm: Double? = 5.0
    /// Row-sparse updates of the item tables (see Parameter): only the rows a step used are
    /// zeroed, clipped and updated (Adam as torch.optim.SparseAdam). False is PyTorch's dense
    /// nn.Embedding(sparse=False) behaviour.
    package var sparseGradients: Bool = false
    public var earlyStopping: EarlyStoppingSpec? = EarlyStoppingSpec()
    /// Validate every N epochs.
    package var evalEvery: Int = 1
    package var schedule: ScheduleSpec = ScheduleSpec()
    /// Worker threads; nil means the CPUs the process may use (`CPUAllowance`, at most `maxThreads`).
    public var threads: Int? = nil
    /// The most worker threads `threads` may ask for.
    package static let maxThreads = ThreadLimit.maximum
    public init() {}
}

public struct OptimizerSpec: Sendable, Equatable, Codable {
    public var name: OptimizerKind = .adam
    public var learningRate: Double = 0.001
    public var weightDecay: Double = 0.0
    /// SGD and RMSprop momentum.
    package var momentum: Double = 0.0
    package var nesterov: Bool = false
    package var beta1: Double = 0.9
    package var beta2: Double = 0.999
    package var eps: Double = 1e-8
    /// RMSprop smoothing constant.
    package var alpha: Double = 0.99
    package init() {}
}

public enum OptimizerKind: String, Sendable, Codable, CaseIterable {
    case sgd, adam, adamw, adagrad, rmsprop
}

public enum LossKind: String, Sendable, Codable, CaseIterable {
    case crossEntropy = "cross-entropy"
    case sampledSoftmax = "sampled-softmax"
    /// Binary cross-entropy of the target against one sampled negative per target (SASRec's loss).
    case binaryCrossEntropy = "bce"
    /// gSASRec's generalised binary cross-entropy (Petrov & Macdonald 2023): `negatives` per
    /// target, the positive's probability raised to β from the sampling rate and `gbce_t`.
    case generalizedBinaryCrossEntropy = "gbce"
    case mse
}

public enum SamplingStrategy: String, Sendable, Codable, CaseIterable {
    case uniform, popularity
}

public struct EarlyStoppingSpec: Sendable, Equatable, Codable {
    public var metric: MetricSpec = MetricSpec(kind: .ndcg, k: 10)
    package var patience: Int = 10
    package init() {}
}

package struct ScheduleSpec: Sendable, Equatable, Codable {
    package var name: ScheduleKind = .constant
    /// For `step`: multiply the rate by `gamma` every `stepSize` epochs.
    package var stepSize: Int = 10
    package var gamma: Double = 0.1
    /// For `cosine`: the floor the rate anneals to over `training.epochs`.
    package var minLearningRate: Double = 0.0
    package init() {}
}

package enum ScheduleKind: String, Sendable, Codable, CaseIterable {
    case constant, step, cosine
}

// MARK: - Evaluation

public struct EvaluationSpec: Sendable, Equatable, Codable {
    public var candidates: Candidates = .all
    public var excludeSeen: Bool = true
    public var metrics: [MetricSpec] = [
        MetricSpec(kind: .hr, k: 10), MetricSpec(kind: .ndcg, k: 10), MetricSpec(kind: .mrr, k: 10),
        MetricSpec(kind: .hr, k: 20), MetricSpec(kind: .ndcg, k: 20),
    ]
    /// The largest metric cut-off: a top list people read is tens of items long, and
    /// coverage@k keeps a top list of k items per user.
    package static let maxCutoff = 10_000
    /// The most sampled negatives: the sampled protocol ranks a target against a small set
    /// (100 in most papers); past this, `candidates: all` is the cheaper, exact choice.
    package static let maxSampledNegatives = 100_000
    public init() {}
}

public enum Candidates: Sendable, Equatable, Codable {
    /// Full ranking over the whole catalogue.
    case all
    /// The target against `count` negatives the user has not interacted with.
    case sampled(count: Int, strategy: SamplingStrategy)
}

/// A metric name such as `ndcg@10`, `hr@20`, `coverage@10`, `rmse`.
public struct MetricSpec: Sendable, Hashable, Codable, CustomStringConvertible {
    public var kind: MetricKind
    /// Cut-off for ranking metrics; nil for rating metrics.
    public var k: Int?

    public init(kind: MetricKind, k: Int?) {
        self.kind = kind
        self.k = k
    }

    /// Parses `name@k` (ranking) or `name` (rating); returns nil on anything else.
    public init?(parsing text: String) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard let kind = MetricKind(rawValue: String(parts[0])) else { return nil }
        if kind.isRanking {
            guard parts.count == 2, let k = Int(parts[1]) else { return nil }
            self.init(kind: kind, k: k)
        } else {
            guard parts.count == 1 else { return nil }
            self.init(kind: kind, k: nil)
        }
    }

    public var description: String { k.map { "\(kind.rawValue)@\($0)" } ?? kind.rawValue }
}

public enum MetricKind: String, Sendable, Codable, CaseIterable {
    case hr, recall, ndcg, mrr, precision, map, coverage
    case rmse, mae

    package var isRanking: Bool { self != .rmse && self != .mae }
}

// MARK: - Output

public struct OutputSpec: Sendable, Equatable, Codable {
    /// Directory of `report.json`; relative paths are relative to the working directory.
    public var dir: String
    /// Write model.safetensors, ids.json and the resumable training state.
    package var checkpoint: Bool = true
    /// Write TensorBoard event files (curves per epoch, HParams) beside the report.
    package var tensorboard: Bool = true
    package init(dir: String, checkpoint: Bool = true, tensorboard: Bool = true) {
        self.dir = dir
        self.checkpoint = checkpoint
        self.tensorboard = tensorboard
    }
}
