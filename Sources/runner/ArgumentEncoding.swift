// Command-line arguments must be UTF-8 text. Swift's CommandLine.arguments replaces bytes
// that are not UTF-8 with U+FFFD, so a path such as `caf\xe9/exp.yaml` (Latin-1) would reach
// the runner as another name and fail as "does not exist". Such an argument is refused
// instead, naming its bytes; a directory with such a name can still be used from inside it
// (relative paths are left to the kernel).

import Foundation
import SeqRec

/// The message for the first argument that is not UTF-8, or nil when all are.
func argumentEncodingProblem() -> String? {
    for index in 1 ..< Int(CommandLine.argc) {
        guard let pointer = CommandLine.unsafeArgv[index] else { continue }
        let bytes = UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                        count: strlen(pointer))
        guard String(validating: bytes, as: UTF8.self) == nil else { continue }
        return "error: argument '\(String.escapingForTerminal(bytes: bytes))' is not UTF-8 text; "
            + "paths and values on the command line must be UTF-8 (rename the file or directory, or cd into it and use a relative path)"
    }
    return nil
}
