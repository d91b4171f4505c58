// POSIX shell quoting for printed commands: words made only of safe characters stay bare
// (`cell=gru,seed=2`), anything else is single-quoted with `'` written as `'\''`.

import Foundation

package enum ShellQuoting {
    private static let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=,:@%+")

    package static func quote(_ word: String) -> String {
        if !word.isEmpty, word.allSatisfy({ safe.contains($0) }) { return word }
        return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The words joined into one shell command line.
    package static func command(_ words: [String]) -> String {
        words.map(quote).joined(separator: " ")
    }
}
