// Reads reports and groups them into configurations, protocols and paired tests.

import Foundation

public enum ComparisonBuilder {
    /// Reads every report.json under the paths (directories searched recursively), with the
    /// per-user sidecar of its test pass when the report names one that exists.
    /// A run directory's `evaluation-*.json` files (`runner evaluate`) of the test split join
    /// as runs of their own: the report with that evaluation section and those test metrics,
    /// so they group, and are labelled, by their protocol. One that scored another model
    /// than the run's model.safetensors now (by its SHA-256), or does not say which, is
    /// loaded as stale (`staleEvaluation`) and left out of the table.
    /// With `skipUnreadable`, a run directory that cannot be read (its report, sidecar or
    /// evaluations) is passed to it with the error and left out, instead of stopping the
    /// comparison of the others.
    public static func loadRuns(paths: [String], skipUnreadable: ((_ path: String, _ error: any Error) -> Void)? = nil) throws -> [LoadedRun] {
        let found = try findReports(paths: paths)
        guard !found.isEmpty else { throw CompareError.noReports(paths: paths) }
        return try found.flatMap { url, display in
            do {
                let directory = url.deletingLastPathComponent()
                // A finished attempt that a killed run left half moved into place is moved first.
                RunResult.recover(directory)
                let report = try ReportReader.read(url)
                let values = try perUser(named: report.test?.perUserFile, in: directory)
                // The sidecar must be the one the report records (not another run's).
                if let file = report.test?.perUserFile, values != nil { try RunResult.verify(file, in: directory, report: report) }
                let run = LoadedRun(report: report, directory: directory, displayPath: display, perUser: values)
                return [run] + (try evaluations(of: run))
            } catch {
                guard let skipUnreadable else { throw error }
                skipUnreadable(display, error)
                return []
            }
        }
    }

    /// Why a test metric value cannot be right, or nil: ranking metrics lie in [0, 1], error
    /// metrics (rmse, mae) in [0, inf); NaN is a missing value, not an error.
    static func invalidMetric(_ name: String, _ value: Double) -> String? {
        guard !value.isNaN else { return nil }
        let kind = MetricKind(rawValue: String(name.prefix { $0 != "@" }))
        if kind?.isRanking ?? false, !(0...1).contains(value) {
            return "test metric \(name) is \(value), outside its range 0...1"
        }
        if value < 0 || value.isInfinite { return "test metric \(name) is \(value), outside its range 0...inf" }
        return nil
    }

    private static func perUser(named file: String?, in directory: URL) throws -> PerUserValues? {
        guard let file else { return nil }
        let sidecar = directory.appendingPathComponent(file)
        return FileManager.default.fileExists(atPath: sidecar.path) ? try ReportReader.readPerUser(sidecar) : nil
    }

    private static func evaluations(of run: LoadedRun) throws -> [LoadedRun] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: run.directory.path)) ?? []
        var model: CurrentModel?
        return try names.filter { $0.hasPrefix("evaluation-") && $0.hasSuffix(".json") }.sorted().compactMap { name in
            let url = run.directory.appendingPathComponent(name)
            let evaluation: RunEvaluation
            let bytes: Data
            do throws(RegularFileError) {
                bytes = try RegularFile.read(url)
            } catch {
                throw ReportError.cannotRead(path: url.path, reason: error.reason)
            }
            do {
                evaluation = try ReportCoding.decoder().decode(RunEvaluation.self, from: bytes)
            } catch {
                throw ReportError.cannotRead(path: url.path, reason: ReportReader.describe(error))
            }
            guard evaluation.split == "test", evaluation.configHash == run.report.configHash else { return nil }
            var report = run.report
            if case .object(var config) = report.config {
                config["evaluation"] = evaluation.evaluation
                report.config = .object(config)
            }
            report.test = evaluation.metrics
            report.validation = nil
            let current = model ?? CurrentModel(in: run.directory)
            model = current
            var loaded = LoadedRun(report: report, directory: run.directory, displayPath: "\(run.displayPath) [\(name)]")
            loaded.evaluationFile = name
            loaded.staleEvaluation = current.staleness(of: evaluation)
            if loaded.staleEvaluation == nil {
                loaded.perUser = try perUser(named: evaluation.metrics.perUserFile, in: run.directory)
            }
            return loaded
        }
    }

    /// The run directory's model.safetensors as it is now: its hash and epoch.
    private struct CurrentModel {
        var sha256: String?
        var epoch: String?

        init(in directory: URL) {
            let url = directory.appendingPathComponent(RunFiles.model)
            sha256 = try? RunFiles.modelSHA256(ofFileAt: url)
            epoch = (try? SafeTensorsFile.readMetadata(contentsOf: url))?["epoch"]
        }

        /// Why `evaluation` does not describe this model, or nil when it does.
        func staleness(of evaluation: RunEvaluation) -> String? {
            guard let scored = evaluation.modelSHA256 else {
                return "stale evaluation: it does not record the SHA-256 of the model it scored, so it cannot be tied to "
                    + "the run's \(RunFiles.model); run runner evaluate again"
            }
            guard let sha256 else {
                return "stale evaluation: the run directory has no readable \(RunFiles.model) to check it against"
            }
            guard scored != sha256 else { return nil }
            return "stale evaluation: it scored another model (sha256 \(scored.prefix(12))"
                + (evaluation.modelEpoch.map { ", epoch \($0)" } ?? "") + ") than the run's \(RunFiles.model) "
                + "(sha256 \(sha256.prefix(12))" + (epoch.map { ", epoch \($0)" } ?? "") + "); run runner evaluate again"
        }
    }

    /// Groups `runs` into configurations (same config except seed, name and output); only
    /// `ok` runs enter the rows.
    public static func compare(_ runs: [LoadedRun]) -> Comparison {
        var excluded: [ExcludedRun] = []
        var groups: [String: [LoadedRun]] = [:]
        var groupOrder: [String] = []
        var groupSettings: [String: [String: JSONValue]] = [:]
        for run in runs {
            if let stale = run.staleEvaluation {
                excluded.append(ExcludedRun(run: run, reason: stale, isStale: true))
                continue
            }
            guard run.report.status == .ok else {
                let message = run.report.message.map { ": \($0)" } ?? ""
                excluded.append(ExcludedRun(run: run, reason: "\(run.report.status.rawValue)\(message)"))
                continue
            }
            if let problem = run.report.test?.metrics.sorted(by: { $0.key < $1.key })
                .lazy.compactMap({ invalidMetric($0.key, $0.value) }).first {
                excluded.append(ExcludedRun(run: run, reason: "invalid report: \(problem)", isInvalid: true))
                continue
            }
            var settings = ConfigSettings.flatten(run.report.config)
            // The thread count a run used is part of what it measured: each worker draws its
            // own dropout masks and negatives (docs/comparing.md).
            settings[ConfigSettings.threadsPath] = .integer(Int64(run.report.provenance.threads))
            // A setting the model ignores does not make another configuration.
            let identity = ConfigSettings.identity(ConfigSettings.read(by: settings))
            if groups[identity] == nil {
                groupOrder.append(identity)
                groupSettings[identity] = settings
            }
            groups[identity, default: []].append(run)
        }

        // One run per seed: a later start supersedes an earlier copy.
        var groupRuns: [[LoadedRun]] = []
        for identity in groupOrder {
            var bySeed: [UInt64?: LoadedRun] = [:]
            for run in groups[identity] ?? [] {
                if let kept = bySeed[run.seed] {
                    let (newer, older) = run.report.startedAt.date > kept.report.startedAt.date ? (run, kept) : (kept, run)
                    bySeed[run.seed] = newer
                    excluded.append(ExcludedRun(run: older, reason: "superseded by a later run of the same "
                        + "configuration and seed in \(newer.displayPath)"))
                } else {
                    bySeed[run.seed] = run
                }
            }
            groupRuns.append(bySeed.values.sorted { ($0.seed ?? 0, $0.displayPath) < ($1.seed ?? 0, $1.displayPath) })
        }

        var protocols: [EvaluationProtocol] = []
        let allSettings = groupOrder.compactMap { groupSettings[$0] }
        var protocolOfGroup: [Int] = []
        for members in groupRuns {
            guard let first = members.first else { protocolOfGroup.append(-1); continue }
            let evaluationProtocol = EvaluationProtocol(of: first.report)
            if !protocols.contains(evaluationProtocol) { protocols.append(evaluationProtocol) }
            protocolOfGroup.append(protocols.firstIndex(of: evaluationProtocol) ?? 0)
        }
        // Labels name what differs among the rows of one protocol (the protocol column and
        // its legend say what differs between protocols); what they share is said once.
        let settingsOfProtocol = protocols.indices.map { index in
            zip(allSettings, protocolOfGroup).filter { $0.1 == index }.map { ConfigSettings.read(by: $0.0) }
        }
        let labelPaths = settingsOfProtocol.map(ConfigSettings.namingPaths)
        var rows: [ConfigurationRow] = []
        for ((settings, members), protocolIndex) in zip(zip(allSettings, groupRuns), protocolOfGroup) {
            guard protocolIndex >= 0 else { continue }
            var label = ConfigSettings.labelParts(ConfigSettings.read(by: settings), paths: labelPaths[protocolIndex])
                .joined(separator: ", ")
            if let own = ownLabel(members) {
                label = own
            } else if label.isEmpty {
                label = uniqueNames(members).joined(separator: " / ")
            }
            rows.append(summarize(members, label: label, settings: settings, protocolIndex: protocolIndex))
        }
        disambiguateLabels(&rows)
        // Protocol groups together, then natural order of labels.
        rows.sort { ($0.protocolIndex, NaturalOrder.key($0.label)) < ($1.protocolIndex, NaturalOrder.key($1.label)) }

        let metricNames = Set(rows.flatMap(\.metrics.keys)).sorted { NaturalOrder.key($0) < NaturalOrder.key($1) }
        excluded.sort { $0.run.displayPath < $1.run.displayPath }
        return Comparison(rows: rows, protocols: protocols, metricNames: metricNames, excluded: excluded,
                          significance: significance(rows),
                          sharedSettings: settingsOfProtocol.map(ConfigSettings.sharedParts))
    }

    /// The configs' own `label:` when every run of the row has one (several joined by ` / `).
    private static func ownLabel(_ runs: [LoadedRun]) -> String? {
        var labels: [String] = []
        for run in runs {
            guard case .string(let label)? = run.report.config["label"] else { return nil }
            if !labels.contains(label) { labels.append(label) }
        }
        return labels.isEmpty ? nil : labels.joined(separator: " / ")
    }

    /// Two rows of one protocol never share a label (two configs may give the same `label:`):
    /// each such row adds where its first run lives.
    private static func disambiguateLabels(_ rows: inout [ConfigurationRow]) {
        var counts: [String: Int] = [:]
        for row in rows { counts["\(row.protocolIndex)\n\(row.label)", default: 0] += 1 }
        for index in rows.indices where counts["\(rows[index].protocolIndex)\n\(rows[index].label)", default: 0] > 1 {
            rows[index].label += " (\(rows[index].runs.first?.displayPath ?? "?"))"
        }
    }

    private static func uniqueNames(_ runs: [LoadedRun]) -> [String] {
        var names: [String] = []
        for run in runs where !names.contains(run.report.name) { names.append(run.report.name) }
        return names
    }

    static func summarize(_ runs: [LoadedRun], label: String, settings: [String: JSONValue],
                          protocolIndex: Int) -> ConfigurationRow {
        var metricValues: [String: [Double]] = [:]
        for run in runs {
            for (name, value) in run.report.test?.metrics ?? [:] { metricValues[name, default: []].append(value) }
        }
        let epochSeconds: [Double] = runs.compactMap { run in
            let seconds = run.report.history.map(\.seconds).filter(\.isFinite)
            return seconds.isEmpty ? nil : seconds.reduce(0, +) / Double(seconds.count)
        }
        return ConfigurationRow(
            label: label, settings: settings, protocolIndex: protocolIndex, runs: runs,
            metrics: metricValues.compactMapValues { ValueSummary($0) },
            bestEpoch: ValueSummary(runs.compactMap { $0.report.bestEpoch.map(Double.init) }),
            secondsPerEpoch: ValueSummary(epochSeconds),
            totalSeconds: ValueSummary(runs.compactMap { $0.report.timing?.totalSeconds }),
            parameterCounts: Set(runs.compactMap(\.report.parameterCount)).sorted())
    }
}

/// Orders `hidden_size=50` before `hidden_size=100`: digit runs compare as numbers.
enum NaturalOrder {
    struct Key: Comparable {
        var parts: [Part]
        enum Part: Comparable {
            case number(Double)
            case text(String)
        }
        static func < (lhs: Key, rhs: Key) -> Bool { lhs.parts.lexicographicallyPrecedes(rhs.parts) }
    }

    static func key(_ text: String) -> Key {
        var parts: [Key.Part] = []
        var current = ""
        var inNumber = false
        func flush() {
            guard !current.isEmpty else { return }
            parts.append(inNumber ? .number(Double(current) ?? 0) : .text(current))
            current = ""
        }
        for character in text {
            let isDigit = character.isASCII && character.isNumber
            if isDigit != inNumber { flush(); inNumber = isDigit }
            current.append(character)
        }
        flush()
        return Key(parts: parts)
    }
}
