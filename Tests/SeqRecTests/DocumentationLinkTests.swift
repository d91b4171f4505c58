import Foundation
import Testing

// README.md and docs/*.md: every relative link names an existing file, and every `#anchor`
// names a heading of its target page (GitHub's anchor spelling), so the manual cannot rot.

private let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The markdown pages checked: README.md and everything under docs/.
private func documentationPages() throws -> [URL] {
    let docs = repositoryRoot.appendingPathComponent("docs")
    let pages = try FileManager.default.contentsOfDirectory(at: docs, includingPropertiesForKeys: nil)
        .filter { $0.pathExtension == "md" }
        .sorted { $0.lastPathComponent < $1.lastPathComponent }
    return [repositoryRoot.appendingPathComponent("README.md")] + pages
}

/// The page's lines outside fenced code blocks.
private func proseLines(_ text: String) -> [Substring] {
    var inFence = false
    return text.split(separator: "\n", omittingEmptySubsequences: false).filter { line in
        if line.trimmingCharacters(in: .whitespaces).hasPrefix("```") {
            inFence.toggle()
            return false
        }
        return !inFence
    }
}

/// GitHub's anchors for the page's headings: lower-cased, punctuation other than `-` and `_`
/// dropped, spaces as `-`, repeated headings numbered `-1`, `-2`, ...
private func headingAnchors(_ text: String) -> Set<String> {
    var anchors = Set<String>()
    var seen: [String: Int] = [:]
    for line in proseLines(text) where line.hasPrefix("#") {
        let title = line.drop(while: { $0 == "#" }).trimmingCharacters(in: .whitespaces)
        var slug = ""
        for character in title.lowercased() {
            if character == " " { slug.append("-") }
            else if character == "-" || character == "_" || character.isLetter || character.isNumber { slug.append(character) }
        }
        let count = seen[slug, default: 0]
        seen[slug] = count + 1
        anchors.insert(count == 0 ? slug : "\(slug)-\(count)")
    }
    return anchors
}

/// Targets of inline links `[text](target)` outside code.
private func linkTargets(_ text: String) -> [String] {
    var targets: [String] = []
    for line in proseLines(text) {
        // Drop inline code spans, whose brackets are not links.
        let parts = line.split(separator: "`", omittingEmptySubsequences: false)
        let prose = parts.enumerated().filter { $0.offset % 2 == 0 }.map(\.element).joined(separator: " ")
        var rest = prose[...]
        while let close = rest.range(of: "](") {
            let afterOpen = rest[close.upperBound...]
            guard let end = afterOpen.firstIndex(of: ")") else { break }
            targets.append(String(afterOpen[..<end]))
            rest = afterOpen[end...]
        }
    }
    return targets
}

@Test func documentationLinksResolve() throws {
    var problems: [String] = []
    for page in try documentationPages() {
        let text = try String(contentsOf: page, encoding: .utf8)
        let name = page.path.replacingOccurrences(of: repositoryRoot.path + "/", with: "")
        for target in linkTargets(text) {
            if target.contains("://") || target.hasPrefix("mailto:") { continue }
            let pieces = target.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
            let path = String(pieces[0])
            let anchor = pieces.count > 1 ? String(pieces[1]) : nil
            let file = path.isEmpty ? page : page.deletingLastPathComponent().appendingPathComponent(path).standardizedFileURL
            guard FileManager.default.fileExists(atPath: file.path) else {
                problems.append("\(name): link to a missing file: \(target)")
                continue
            }
            if let anchor {
                let targetText = try String(contentsOf: file, encoding: .utf8)
                if !headingAnchors(targetText).contains(anchor) {
                    problems.append("\(name): no heading for #\(anchor) in \(path.isEmpty ? name : path)")
                }
            }
        }
    }
    #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
}

@Test func headingAnchorsFollowGitHub() {
    let anchors = headingAnchors("# Data\n## What `training.batch_size` counts\n## Splits (`split.method`)\n## Data\n")
    #expect(anchors == ["data", "what-trainingbatch_size-counts", "splits-splitmethod", "data-1"])
    #expect(linkTargets("see [a](x.md#b) and `[c](d)`\n```\n[e](f)\n```\n[g](#h)") == ["x.md#b", "#h"])
}
