// The config files a search writes: each trial's (`trials/<n>/config.yaml`) and `best.yaml`.
// Each `extends` the tune file (whose `tune:` section is not inherited) and sets the trial's
// settings, its own name and its own output directory, so `runner run` on it reruns the trial
// (or, for best.yaml, trains the best settings anew, e.g. with other seeds).

import Foundation

package enum TrialConfigFile {
    /// The YAML text. `tuneFile` is the tune file's path as the search was started with it;
    /// the file is written at `location` (the path `extends` is made relative to).
    package static func text(tuneFile: String, location: String, name: String, outputDirectory: String,
                            settings: [TrialSetting], comment: String) -> String {
        var lines = comment.split(separator: "\n", omittingEmptySubsequences: false).map { "# \($0)" }
        lines.append("extends: \(quoted(relativePath(to: tuneFile, from: location)))")
        lines.append("name: \(quoted(name))")
        lines += nested(settings)
        lines.append("output:")
        lines.append("  dir: \(quoted(outputDirectory))")
        return lines.joined(separator: "\n") + "\n"
    }

    /// The `--set` flags of the search as settings, before the trial's own (which win):
    /// all but the trial's name and output directory, which its file sets.
    package static func settings(overrides: [String], then trialSettings: [TrialSetting]) -> [TrialSetting] {
        let flags = overrides.compactMap { flag -> TrialSetting? in
            guard let equals = flag.firstIndex(of: "=") else { return nil }
            let key = String(flag[..<equals])
            guard key != "name", key != "output", !key.hasPrefix("output.") else { return nil }
            return TrialSetting(key: key, value: String(flag[flag.index(after: equals)...]))
        }
        return flags + trialSettings
    }

    /// Block mappings for dotted keys, keys sharing a prefix under one parent, in first-seen order.
    static func nested(_ settings: [TrialSetting]) -> [String] {
        final class Node {
            var children: [(String, Node)] = []
            var value: String?
            func child(_ key: String) -> Node {
                if let found = children.first(where: { $0.0 == key }) { return found.1 }
                let node = Node()
                children.append((key, node))
                return node
            }
        }
        let root = Node()
        for setting in settings {
            var node = root
            for segment in setting.key.split(separator: ".") { node = node.child(String(segment)) }
            node.value = setting.value
        }
        var lines: [String] = []
        func emit(_ node: Node, depth: Int) {
            for (key, child) in node.children {
                let indent = String(repeating: "  ", count: depth)
                if let value = child.value {
                    lines.append("\(indent)\(key): \(value)")
                } else {
                    lines.append("\(indent)\(key):")
                    emit(child, depth: depth + 1)
                }
            }
        }
        emit(root, depth: 0)
        return lines
    }

    /// A double-quoted YAML scalar (paths and names may hold `:` or `#`).
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    /// `target` as seen from the directory of `location` (both relative to the working
    /// directory or absolute): relative when both are under one root, with `..` as needed.
    static func relativePath(to target: String, from location: String) -> String {
        let targetParts = WorkingDirectory.url(target).standardizedFileURL.pathComponents
        let baseParts = WorkingDirectory.url(location).standardizedFileURL.deletingLastPathComponent().pathComponents
        var common = 0
        while common < min(targetParts.count, baseParts.count), targetParts[common] == baseParts[common] { common += 1 }
        guard common > 1 else { return WorkingDirectory.url(target).standardizedFileURL.path }
        let ups = Array(repeating: "..", count: baseParts.count - common)
        return (ups + targetParts[common...]).joined(separator: "/")
    }
}
