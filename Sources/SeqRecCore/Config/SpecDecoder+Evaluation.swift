// Readers for evaluation values: metric names (`ndcg@10`, `rmse`), metric lists and
// the candidate set (`all` or `{sampled: N, strategy: ...}`).

extension SpecDecoder {
    func metric(_ node: YAMLNode, _ path: String) -> MetricSpec? {
        guard let text = node.scalarText, !node.isNull else {
            diagnostics.add(node, path, "expected a metric name such as 'ndcg@10', found \(node.foundDescription)")
            return nil
        }
        if let metric = MetricSpec(parsing: text), metric.k.map({ (1...EvaluationSpec.maxCutoff).contains($0) }) ?? true {
            return metric
        }
        let parts = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let names = MetricKind.allCases.map(\.rawValue)
        guard let kind = MetricKind(rawValue: parts[0]) else {
            let cutoff = parts.count == 2 ? "@" + parts[1] : ""
            let hint = Suggestion.closest(to: parts[0], among: names).map { " (did you mean '\($0)\(cutoff)'?)" } ?? ""
            let ranking = MetricKind.allCases.filter(\.isRanking).map(\.rawValue).joined(separator: ", ")
            let rating = MetricKind.allCases.filter { !$0.isRanking }.map(\.rawValue).joined(separator: ", ")
            diagnostics.add(node, path,
                "unknown metric '\(text)', expected one of \(ranking) (with @k) or \(rating)\(hint)")
            return nil
        }
        if !kind.isRanking {
            diagnostics.add(node, path, "expected '\(kind.rawValue)' without a cut-off, found '\(text)'")
        } else if parts.count == 1 {
            diagnostics.add(node, path, "expected a cut-off for ranking metric '\(kind.rawValue)' (e.g. '\(kind.rawValue)@10'), found '\(text)'")
        } else {
            diagnostics.add(node, path, "expected a cut-off k from 1 to \(EvaluationSpec.maxCutoff) in '\(kind.rawValue)@k', found '\(text)'")
        }
        return nil
    }

    func metricList(_ node: YAMLNode, _ path: String) -> [MetricSpec]? {
        guard case .sequence(let items) = node.kind, !items.isEmpty else {
            diagnostics.add(node, path, "expected a non-empty list of metrics such as [hr@10, ndcg@10], found \(node.foundDescription)")
            return nil
        }
        var metrics: [MetricSpec] = []
        var seen: Set<MetricSpec> = []
        var failed = false
        for (index, item) in items.enumerated() {
            let itemPath = "\(path)[\(index)]"
            nodes[itemPath] = item
            guard let metric = metric(item, itemPath) else {
                failed = true
                continue
            }
            if !seen.insert(metric).inserted {
                diagnostics.add(item, itemPath, "duplicate metric '\(metric)'")
                failed = true
            }
            metrics.append(metric)
        }
        return failed ? nil : metrics
    }

    func candidates(_ node: YAMLNode, _ path: String) -> Candidates? {
        let expected = "expected 'all' or a mapping {sampled: N, strategy: uniform|popularity}"
        if let text = node.scalarText, !node.isNull {
            if text == "all" { return .all }
            let hint = Suggestion.hint(for: text, among: ["all"])
            diagnostics.add(node, path, "\(expected), found \(node.foundDescription)\(hint)")
            return nil
        }
        guard node.mappingEntries != nil, let fields = section(node, path: path) else {
            diagnostics.add(node, path, "\(expected), found \(node.foundDescription)")
            return nil
        }
        var count: Int?
        var strategy = SamplingStrategy.uniform
        if let countNode = fields.take("sampled") {
            count = integer(countNode, fields.path("sampled"), atLeast: 1, atMost: EvaluationSpec.maxSampledNegatives)
        } else {
            diagnostics.add(node, fields.path("sampled"), "missing required key 'sampled' (the number of negatives per target)")
        }
        fields.read("strategy", into: &strategy) { self.choice($0, $1, noun: "sampling strategy") }
        fields.reportUnknownKeys()
        return count.map { .sampled(count: $0, strategy: strategy) }
    }
}
