// `runner check-run DIR...` (hidden): reads back every result file of run directories and
// prints what it found, one tab-separated line per file (RunDirectoryCheck). Exit 0 when every
// file present is complete and valid, 1 otherwise. Used by scripts/crash-check.sh.

import ArgumentParser
import Foundation
import SeqRec

extension RunnerCommand {
    struct CheckRun: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check-run",
            abstract: "Read back every result file of run directories (for crash tests).",
            shouldDisplay: false)

        @Argument(help: ArgumentHelp("Run directories.", valueName: "run-dir"), completion: .directory)
        var directories: [String]

        @Option(help: ArgumentHelp("Also validate report.json against this JSON schema.", valueName: "file"))
        var schema: String?

        func run() throws {
            var validator: JSONSchemaValidator?
            if let schema {
                do {
                    validator = try JSONSchemaValidator(contentsOf: WorkingDirectory.url(schema))
                } catch {
                    writeToStandardError("runner check-run: \(error)\n")
                    throw ExitCode(ExitStatus.badConfig)
                }
            }
            var failed = false
            for directory in directories {
                for finding in RunDirectoryCheck.check(WorkingDirectory.url(directory), schema: validator) {
                    writeToStandardOutput("\(directory)\t\(finding.line)\n")
                    failed = failed || finding.isProblem
                }
            }
            if failed { throw ExitCode(ExitStatus.runFailed) }
        }
    }
}
