// A search's files, under the experiment's `output.dir`:
//   search.json              what the search is (its tune section, its experiment's config
//                            hash, --jobs): a rerun with anything else changed is refused
//   trials/<n>/trial.json    each trial's record (TrialRecord)
//   trials/<n>/config.yaml   the trial's config: extends the tune file, adds its settings
//   trials/<n>/report.json   ... the trial's ordinary run (report, checkpoint, resume)
//   trials.json, best.yaml   the results so far (SearchResults)
//   .decisions/.lock         held while a trial writes its record or takes a pruning decision
//   .lock                    held by `runner tune` while it runs trials

import Foundation

package struct SearchDirectoryError: Error, Sendable, CustomStringConvertible {
    package var description: String
}

public struct SearchDirectory: Sendable {
    package static let identityFile = SearchIdentity.fileName
    package static let trialsDirectory = "trials"
    package static let recordFile = "trial.json"
    package static let configFile = "config.yaml"
    package static let resultsFile = "trials.json"
    public static let bestFile = "best.yaml"

    /// As the config writes it (relative to the working directory).
    package let path: String

    public init(path: String) {
        self.path = path
    }

    package var url: URL { WorkingDirectory.url(path) }
    package func trialPath(_ number: Int) -> String { "\(path)/\(Self.trialsDirectory)/\(number)" }
    func recordURL(_ number: Int) -> URL { WorkingDirectory.url("\(trialPath(number))/\(Self.recordFile)") }
    package func configPath(_ number: Int) -> String { "\(trialPath(number))/\(Self.configFile)" }

    /// Records `identity` in a new search, or checks it against the one recorded.
    func claim(_ identity: SearchIdentity) throws(SearchDirectoryError) {
        let file = url.appendingPathComponent(Self.identityFile)
        if let data = try? Data(contentsOf: file) {
            guard let recorded = try? JSONDecoder().decode(SearchIdentity.self, from: data) else {
                throw SearchDirectoryError(description: "\(file.path) is not a search's record; give the search another output.dir")
            }
            guard recorded != identity else { return }
            var changed: [String] = []
            if recorded.tune != identity.tune {
                let old = Set(recorded.tune.split(separator: "\n")), new = Set(identity.tune.split(separator: "\n"))
                let lines = identity.tune.split(separator: "\n").filter { !old.contains($0) }
                    + recorded.tune.split(separator: "\n").filter { !new.contains($0) }.map { "was \($0)" }
                changed.append("the tune section (\(lines.joined(separator: "; ")))")
            }
            if recorded.baseConfigHash != identity.baseConfigHash {
                changed.append("the experiment (config hash \(identity.baseConfigHash.prefix(12)), was \(recorded.baseConfigHash.prefix(12)))")
            }
            if recorded.jobs != identity.jobs {
                changed.append("--jobs (\(identity.jobs), was \(recorded.jobs): trials are sampled from the trials --jobs below them)")
            }
            throw SearchDirectoryError(description:
                "'\(path)' holds a search of another tune file: \(changed.joined(separator: ", ")) changed; continue it with the file and --jobs it was started with, or give this search another name or output.dir")
        }
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try AtomicFile.write(try encoder.encode(identity) + Data("\n".utf8), to: file)
        } catch {
            throw SearchDirectoryError(description: "cannot write \(file.path): \(error)")
        }
    }

    /// Trial `number`'s record, if it has one.
    public func record(_ number: Int) -> TrialRecord? {
        guard let data = try? Data(contentsOf: recordURL(number)) else { return nil }
        return try? JSONDecoder().decode(TrialRecord.self, from: data)
    }

    func write(_ record: TrialRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(record) + Data("\n".utf8), to: recordURL(record.number))
    }

    /// Every trial with a record, by number (numbers are dense: a trial is sampled only
    /// after the ones below it).
    package func records() -> [TrialRecord] {
        let directory = url.appendingPathComponent(Self.trialsDirectory)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.compactMap(Int.init).sorted().compactMap(record)
    }

    /// Runs `body` holding the search's decision lock (waiting for it, polling).
    func withLock<T>(_ body: () throws -> T) throws -> T {
        let directory = "\(path)/.decisions"
        try DirectoryCreation.create(WorkingDirectory.url(directory).path)
        while true {
            do {
                let lock = try RunDirectoryLock.acquire(directory: directory)
                defer { lock.release() }
                return try body()
            } catch RunLockError.held {
                usleep(2_000)
            }
        }
    }
}
