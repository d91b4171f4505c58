// `runner check-run DIR` (hidden; used by scripts/crash-check.sh): reads back every file of
// a run directory that a reader would trust, fully, and says what it found. A file that is
// there must be complete and valid: report.json decodes (and validates against the JSON
// schema when one is given), model.safetensors and state.safetensors parse with every
// tensor's offsets checked and have their format, ids.json and per_user.tsv read back.
// Temporary files and the lock are listed with whether their process lives.

import Foundation

public enum RunDirectoryCheck {
    /// One line per finding, tab-separated: `report  ok  status=ok  config_hash=...`,
    /// `state  corrupt  <reason>`, `temporary  .x.12.ab.tmp  pid=12  dead`, ...
    public struct Finding: Sendable, Equatable {
        package var fields: [String]
        public var isProblem: Bool
        public var line: String { fields.joined(separator: "\t") }
    }

    public static func check(_ directory: URL, schema: JSONSchemaValidator?) -> [Finding] {
        var findings: [Finding] = []
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) }
        func corrupt(_ kind: String, _ error: Error) {
            findings.append(Finding(fields: [kind, "corrupt", "\(error)"], isProblem: true))
        }

        let reportURL = directory.appendingPathComponent(ReportWriter.reportFileName)
        if exists(ReportWriter.reportFileName) {
            do {
                let report = try ReportReader.read(reportURL)
                let problems = try schema?.validate(fileAt: reportURL) ?? []
                if let problem = problems.first { throw ReportError.invalidReport(path: reportURL.path, reason: problem) }
                findings.append(Finding(fields: ["report", "ok", "status=\(report.status.rawValue)",
                                                 "config_hash=\(report.configHash)",
                                                 "epochs=\(report.history.count)",
                                                 "resumed_from_epoch=\(report.resumedFromEpoch.map(String.init) ?? "-")"],
                                        isProblem: false))
            } catch {
                corrupt("report", error)
            }
        }
        for (name, kind, format) in [(RunFiles.model, "model", RunFiles.modelFormat), (RunFiles.state, "state", RunFiles.stateFormat)]
        where exists(name) {
            do {
                let file = try SafeTensorsFile.read(contentsOf: directory.appendingPathComponent(name))
                guard file.metadata["format"] == format else {
                    throw CheckpointError.wrongFormat(path: name, expected: format, found: file.metadata["format"])
                }
                for tensor in file.tensors.values { _ = try tensor.floats() }
                findings.append(Finding(fields: [kind, "ok", "epoch=\(file.metadata["epoch"] ?? "-")",
                                                 "config_hash=\(file.metadata["config_hash"] ?? "-")"], isProblem: false))
            } catch {
                corrupt(kind, error)
            }
        }
        if exists(RunFiles.ids) {
            do {
                let maps = try RunCheckpoint.readIds(in: directory)
                findings.append(Finding(fields: ["ids", "ok", "items=\(maps.items.count)", "users=\(maps.users.count)"], isProblem: false))
            } catch {
                corrupt("ids", error)
            }
        }
        if exists(ReportWriter.perUserFileName) {
            do {
                let values = try ReportReader.readPerUser(directory.appendingPathComponent(ReportWriter.perUserFileName))
                findings.append(Finding(fields: ["per_user", "ok", "rows=\(values.values.count)"], isProblem: false))
            } catch {
                corrupt("per_user", error)
            }
        }
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
        for name in names {
            guard let pid = AtomicFile.temporaryPid(name) else { continue }
            findings.append(Finding(fields: ["temporary", name, "pid=\(pid)", ProcessLiveness.isAlive(pid) ? "alive" : "dead"],
                                    isProblem: false))
        }
        if exists(RunDirectoryLock.fileName) {
            let holder = RunDirectoryLock.holder(of: directory.path)
            findings.append(Finding(fields: ["lock", holder == nil ? "free" : "held",
                                             "pid=\(holder?.pid.map(String.init) ?? "-")"], isProblem: false))
        }
        return findings
    }
}
