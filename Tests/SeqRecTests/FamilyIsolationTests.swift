import Foundation
import Testing

// A trainable model family is one folder under Models/ plus its registration (the
// `ModelFamilies` line and its descriptor): no other library file may name what the folder
// declares, nor compare a cell with one of the family's cells. See docs/development.md,
// "Model families".

/// The family folders, relative to their target (Sources/SeqRecNumerics).
private let familyFolders = ["Models/Recurrent", "Models/SASRec"]
/// Where a family may be named outside its folder: the two registries and the cell enum.
private let registrationFiles: Set<String> = ["Models/ModelFamily.swift", "Config/ModelFamilyDescriptor.swift", "Config/ExperimentSpec.swift"]

private func libraryFiles() throws -> [(path: String, code: String)] {
    try librarySourceFiles().map { (path: $0.path, code: swiftCodeOnly($0.text)) }
}

/// Messages for every use, outside `folders` and `registrationFiles`, of a name declared in a
/// family folder, or of a comparison of a cell with one of `cells`.
func familyLeaks(_ files: [(path: String, code: String)], folders: [String], cells: [String]) -> [String] {
    func folder(of path: String) -> String? { folders.first { path.hasPrefix($0 + "/") } }
    var owners: [String: String] = [:]
    for file in files {
        guard let owner = folder(of: file.path) else { continue }
        for name in fileScopeDeclarations(file.code) { owners[name] = owner }
    }
    let alternatives = cells.joined(separator: "|")
    let comparison = try! Regex("(cell\\w*\\s*[!=]=\\s*\\.(\(alternatives))\\b)|(CellKind\\.(\(alternatives))\\b)")
    var messages: [String] = []
    for file in files where folder(of: file.path) == nil && !registrationFiles.contains(file.path) {
        for name in identifiers(file.code).sorted() {
            if let owner = owners[name] { messages.append("\(file.path) uses \(name), declared in the family folder \(owner)/") }
        }
        for match in file.code.matches(of: comparison) {
            messages.append("\(file.path) names a family's cell: \(file.code[match.range])")
        }
    }
    return messages
}

@Suite struct FamilyIsolationTests {
    @Test func nothingOutsideAFamilyFolderNamesTheFamily() throws {
        let leaks = familyLeaks(try libraryFiles(), folders: familyFolders, cells: ["lstm", "gru", "rnn", "sasrec"])
        #expect(leaks.isEmpty, "\(leaks.joined(separator: "\n"))")
    }

    @Test func aLeakIsFound() {
        let files = [
            (path: "Models/SASRec/SASRecEncoder.swift", code: "final class SASRecEncoder {}"),
            (path: "Runner/Run.swift", code: "let e = SASRecEncoder()\nlet w = spec.model.cell != .sasrec\n"),
            (path: "Models/ModelFamily.swift", code: "let all = [SASRecEncoder.self]"),
        ]
        let leaks = familyLeaks(files, folders: ["Models/SASRec"], cells: ["sasrec"])
        #expect(leaks == ["Runner/Run.swift uses SASRecEncoder, declared in the family folder Models/SASRec/",
                          "Runner/Run.swift names a family's cell: cell != .sasrec"])
    }
}
