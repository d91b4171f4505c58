// Which settings a model reads. Reports record every key for every cell (the sasrec-only
// keys excepted), so `runner compare` asks this rule before naming a row by a setting.

extension CellKind {
    /// Model keys that only the recurrent cells read.
    static let recurrentOnlyModelKeys: Set<String> = ["embedding_size", "layers", "output_dropout", "forget_bias"]
    /// Model keys that only `sasrec` reads.
    static let sasrecOnlyModelKeys: Set<String> = ["blocks", "heads", "norm"]

    /// Whether a model of this cell reads the setting at `path` (dotted, YAML spelling:
    /// `model.hidden_size`). `pop` and `markov` read nothing of `model` but the cell and
    /// nothing of `training`; `sasrec` ignores the recurrent-only keys; the recurrent cells
    /// ignore the sasrec-only keys, and `gru` and `rnn` also `forget_bias` (an LSTM gate).
    /// Keys of other sections (data, split, evaluation) are read by every cell.
    public func reads(setting path: String) -> Bool {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return true }
        let (section, key) = (parts[0], parts[1])
        switch self {
        case .pop, .markov:
            if section == "training" { return false }
            return section != "model" || key == "cell"
        case .sasrec:
            return section != "model" || !Self.recurrentOnlyModelKeys.contains(key)
        case .lstm:
            return section != "model" || !Self.sasrecOnlyModelKeys.contains(key)
        case .gru, .rnn:
            return section != "model" || !(Self.sasrecOnlyModelKeys.contains(key) || key == "forget_bias")
        }
    }
}
