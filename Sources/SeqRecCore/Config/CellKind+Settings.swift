// Which settings a model reads. Reports record every shared key for every cell, so
// `runner compare` asks this rule before naming a row by a setting. Each family says which
// model keys its cells read (ModelFamilyDescriptor.modelKeysRead).

extension CellKind {
    /// Whether a model of this cell reads the setting at `path` (dotted, YAML spelling:
    /// `model.hidden_size`): of `model`, the keys its family reads; of `training`, everything
    /// when it trains by gradient and nothing otherwise (pop and markov count); of every other
    /// section (data, split, evaluation), everything.
    package func reads(setting path: String) -> Bool {
        let parts = path.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return true }
        let (section, key) = (parts[0], parts[1])
        switch section {
        case "model": return family.modelKeysRead.map { $0(self).contains(key) } ?? true
        case "training": return family.trainsByGradient
        default: return true
        }
    }
}
