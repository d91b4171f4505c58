import Foundation
import Testing

// The folders of the library targets (Sources/SeqRecCore, SeqRecNumerics, SeqRec) are layers,
// and references between them point one way. The compiler enforces the direction between
// targets; this test enforces it between the folders of one target, and the finer rules across
// targets (Search may use Tensor but not Models): it collects the names each folder declares at
// file scope (types, functions, globals) and fails when a folder names something declared in a
// folder it may not use. Comments and string literals are ignored; code inside string
// interpolation counts. Nested names (`CodingKeys`) are not declarations of a folder and are
// not checked.

/// The library targets, lowest first; each folder name is unique across them.
let libraryTargets = ["SeqRecCore", "SeqRecNumerics", "SeqRec"]

private let sourcesRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Sources")

/// Every Swift file of the library targets with its path inside its target
/// ("Models/ModelFamily.swift"); the files at a target's root (its re-exports) are left out.
func librarySourceFiles() throws -> [(path: String, text: String)] {
    var files: [(path: String, text: String)] = []
    for target in libraryTargets {
        let root = sourcesRoot.appendingPathComponent(target)
        let enumerator = try #require(FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil))
        for case let url as URL in enumerator where url.pathExtension == "swift" {
            let path = String(url.path.dropFirst(root.path.count + 1))
            guard path.contains("/") else { continue }
            files.append((path, try String(contentsOf: url, encoding: .utf8)))
        }
    }
    return files
}

/// Folder -> the folders whose declarations it may name. Every folder must be listed, and
/// the graph must have no cycle. See docs/development.md, "Layout".
let allowedLayerDependencies: [String: Set<String>] = [
    "Support": [],
    "Tensor": ["Support"],
    "Config": ["Support"],
    "Checkpoint": ["Report", "Training", "Config", "Tensor", "Support"],
    "Data": ["Config", "Tensor", "Support"],
    "Models": ["Data", "Config", "Tensor", "Support"],
    "Evaluation": ["Data", "Config", "Tensor", "Support"],
    "Training": ["Models", "Evaluation", "Data", "Config", "Tensor", "Support"],
    "Report": ["Training", "Evaluation", "Data", "Config", "Tensor", "Support"],
    "Compare": ["Report", "Checkpoint", "Training", "Evaluation", "Config", "Support"],
    "Sweep": ["Report", "Checkpoint", "Config", "Support"],
    "Search": ["Tensor", "Support"],
    "Fuzzing": ["Report", "Checkpoint", "Data", "Config", "Support"],
    "Runner": ["Report", "Training", "Evaluation", "Models", "Data", "Checkpoint", "Config", "Tensor", "Support"],
    "Tune": ["Runner", "Sweep", "Search", "Report", "Training", "Evaluation", "Models", "Data", "Checkpoint", "Config", "Tensor", "Support"],
]

struct LayerSource {
    var folder: String
    var file: String
    var text: String
}

/// `text` with comments and string-literal contents blanked out; interpolated code is kept.
func swiftCodeOnly(_ text: String) -> String {
    enum State { case code, lineComment, blockComment, string(multiline: Bool) }
    let characters = Array(text)
    var output = ""
    var state = State.code
    var interpolationDepths: [Int] = []  // open-paren depth of each interpolation we are in
    var depth = 0
    var index = 0
    func next(_ offset: Int) -> Character? { index + offset < characters.count ? characters[index + offset] : nil }
    while index < characters.count {
        let character = characters[index]
        switch state {
        case .code:
            if character == "/" && next(1) == "/" { state = .lineComment; index += 2; continue }
            if character == "/" && next(1) == "*" { state = .blockComment; index += 2; continue }
            if character == "\"" {
                let multiline = next(1) == "\"" && next(2) == "\""
                state = .string(multiline: multiline)
                index += multiline ? 3 : 1
                output.append(" ")
                continue
            }
            if character == "(" { depth += 1 }
            if character == ")" {
                if let open = interpolationDepths.last, open == depth {
                    interpolationDepths.removeLast()
                    state = .string(multiline: false)  // back into the literal it interrupted
                    index += 1
                    continue
                }
                depth -= 1
            }
            output.append(character)
        case .lineComment:
            if character == "\n" { state = .code; output.append("\n") }
        case .blockComment:
            if character == "*" && next(1) == "/" { state = .code; index += 2; continue }
        case .string(let multiline):
            if character == "\\" && next(1) == "(" {
                interpolationDepths.append(depth)
                state = .code
                index += 2
                continue
            }
            if character == "\\" { index += 2; continue }
            if multiline && character == "\"" && next(1) == "\"" && next(2) == "\"" {
                state = .code; index += 3; output.append(" "); continue
            }
            if !multiline && character == "\"" { state = .code; output.append(" ") }
            if character == "\n" { output.append("\n") }
        }
        index += 1
    }
    return output
}

/// Names declared at file scope (column 0) and visible to other files.
func fileScopeDeclarations(_ code: String) -> [String] {
    let pattern = #/(?m)^(?:@\w+(?:\([^)\n]*\))?\s+)*(?:(?:public|internal|package|final|indirect|nonisolated(?:\(unsafe\))?)\s+)*(?:struct|class|enum|protocol|actor|typealias|func|let|var)\s+(\w+)/#
    return code.matches(of: pattern).map { String($0.1) }
}

func identifiers(_ code: String) -> Set<String> {
    Set(code.matches(of: #/[A-Za-z_]\w*/#).map { String($0.0) })
}

/// One message per (file, name) that points against the allowed direction.
func layerViolations(_ sources: [LayerSource], allowed: [String: Set<String>]) -> [String] {
    var owners: [String: String] = [:]
    for source in sources {
        for name in fileScopeDeclarations(swiftCodeOnly(source.text)) { owners[name] = source.folder }
    }
    var messages: [String] = []
    for source in sources {
        let permitted = allowed[source.folder] ?? []
        for name in identifiers(swiftCodeOnly(source.text)).sorted() {
            guard let owner = owners[name], owner != source.folder, !permitted.contains(owner) else { continue }
            messages.append("\(source.folder)/\(source.file) uses \(name), declared in \(owner)/; "
                            + "\(source.folder)/ may use only \(permitted.sorted().joined(separator: ", "))")
        }
    }
    return messages
}

private func librarySources() throws -> [LayerSource] {
    try librarySourceFiles().map { file in
        let folder = String(file.path.prefix { $0 != "/" })
        return LayerSource(folder: folder, file: String(file.path.dropFirst(folder.count + 1)), text: file.text)
    }
}

@Suite struct LayerDirectionTests {
    @Test func referencesPointDownward() throws {
        let sources = try librarySources()
        #expect(sources.count > 50)
        let violations = layerViolations(sources, allowed: allowedLayerDependencies)
        #expect(violations.isEmpty, "reverse references:\n\(violations.joined(separator: "\n"))")
    }

    @Test func everyFolderHasARuleAndTheRulesHaveNoCycle() throws {
        let folders = Set(try librarySources().map(\.folder))
        #expect(folders == Set(allowedLayerDependencies.keys),
                "folders without a rule: \(folders.subtracting(allowedLayerDependencies.keys).sorted())")
        // Kahn: repeatedly remove folders whose allowed dependencies are all removed.
        var remaining = allowedLayerDependencies
        while let (free, _) = remaining.first(where: { $0.value.isDisjoint(with: remaining.keys) }) {
            remaining[free] = nil
        }
        #expect(remaining.isEmpty, "cycle among \(remaining.keys.sorted())")
    }

    @Test func noNameIsDeclaredInTwoFolders() throws {
        var owners: [String: Set<String>] = [:]
        for source in try librarySources() {
            for name in fileScopeDeclarations(swiftCodeOnly(source.text)) { owners[name, default: []].insert(source.folder) }
        }
        let ambiguous = owners.filter { $0.value.count > 1 }.keys.sorted()
        #expect(ambiguous.isEmpty, "declared in more than one folder: \(ambiguous)")
    }

    /// The check can fail: a reverse reference planted in a copy is reported, while one in
    /// a comment, a string, or as a nested name is not.
    @Test func aPlantedReverseReferenceIsReported() {
        let sources = [
            LayerSource(folder: "Report", file: "RunReport.swift", text: """
                public struct RunReport { enum CodingKeys: String { case a } }
                public func writeReport() {}
                """),
            LayerSource(folder: "Training", file: "Trainer.swift", text: """
                // RunReport in a comment
                /* writeReport() */
                struct Trainer { enum CodingKeys: String { case b }
                    let label = "RunReport"
                    let text = "\\(RunReport.self)"
                }
                """),
        ]
        let violations = layerViolations(sources, allowed: ["Report": ["Training"], "Training": []])
        #expect(violations == ["Training/Trainer.swift uses RunReport, declared in Report/; Training/ may use only "])
    }
}
