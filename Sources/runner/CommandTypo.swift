// `runner runn x.yaml`: the first argument names no command, so it would be read as an
// experiment file ("cannot read the file: it does not exist"). A word that is no file, has no
// path separator or extension, and is one typo away from a command is a misspelled command.

import Foundation
import SeqRec

/// The command `word` misspells, or nil when it may be meant as a file (it exists, or looks like a path).
func misspelledCommand(_ word: String, among commands: [String]) -> String? {
    guard !commands.contains(word), !word.hasPrefix("-"), !word.contains("/"), !word.contains("."),
          !FileManager.default.fileExists(atPath: word) else { return nil }
    return Suggestion.closest(to: word, among: commands)
}
