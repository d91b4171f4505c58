// What `runner --version` prints and every report records: the release number, and the git
// commit of the source tree the binary was built from (recorded at build time by the runner's
// BuildCommit plugin; nil when git or the checkout was absent then).

import Foundation

public enum SeqRecVersion {
    package static let number = "0.5.0"

    /// The package root this file was compiled in.
    package static let sourceDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `seqrec 0.5.0 (commit 0123456789ab, dirty; source /path)`, or without the commit part
    /// when the build had no git checkout to ask.
    public static func describe(commit: (commit: String, dirty: Bool)?) -> String {
        guard let commit else { return "seqrec \(number)" }
        return "seqrec \(number) (commit \(commit.commit.prefix(12))\(commit.dirty ? ", dirty" : ""); source \(sourceDirectory.path))"
    }
}
