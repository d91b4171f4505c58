import CYAML

// Loads one YAML document into a `YAMLNode` tree through libyaml's event parser.
// Anchors and aliases are supported, but the tree size after alias expansion is capped,
// so a "billion laughs" file is rejected after a few hundred events instead of
// exhausting memory. Hostile input is bounded while the events arrive, before a tree is
// built: nesting depth (so nothing recursive ever runs deeper than `maxDepth`, including
// the tree's own destruction), scalar length and unknown tags. Duplicate keys and
// non-scalar keys are errors.

enum YAMLDocumentLoader {
    /// The most nodes a document may expand to (counting every alias use).
    static let maxExpandedNodes = 100_000
    /// The deepest nesting of mappings and lists (the top-level mapping is level 1).
    static let maxDepth = 64
    /// The longest scalar, in bytes.
    static let maxScalarBytes = 64 * 1024
    /// The standard tags a document may use (`!!str` and friends), by their full names.
    static let standardTags: [String: String] = [
        "tag:yaml.org,2002:str": "!!str", "tag:yaml.org,2002:int": "!!int", "tag:yaml.org,2002:float": "!!float",
        "tag:yaml.org,2002:bool": "!!bool", "tag:yaml.org,2002:null": "!!null",
        "tag:yaml.org,2002:map": "!!map", "tag:yaml.org,2002:seq": "!!seq",
    ]

    /// Parses `bytes` (checked to be UTF-8 first). Returns nil for an empty document
    /// (nothing, only comments, or a lone null).
    static func load(bytes: [UInt8], source: ConfigSource) throws(ConfigError) -> YAMLNode? {
        if let diagnostic = firstInvalidUTF8(in: bytes, source: source) {
            throw ConfigError(diagnostic)
        }
        var builder = TreeBuilder(source: source)
        let parser = UnsafeMutablePointer<yaml_parser_t>.allocate(capacity: 1)
        let input = UnsafeMutablePointer<UInt8>.allocate(capacity: max(1, bytes.count))
        defer {
            yaml_parser_delete(parser)
            parser.deallocate()
            input.deallocate()
        }
        guard yaml_parser_initialize(parser) == 1 else {
            throw ConfigError(ConfigDiagnostic(origin: source.displayName, "could not initialize the YAML parser"))
        }
        bytes.withUnsafeBufferPointer { buffer in
            if let base = buffer.baseAddress { input.initialize(from: base, count: bytes.count) }
        }
        yaml_parser_set_input_string(parser, input, bytes.count)

        var event = yaml_event_t()
        while true {
            guard yaml_parser_parse(parser, &event) == 1 else {
                throw ConfigError(syntaxDiagnostic(parser.pointee, bytes: bytes, source: source))
            }
            let finished = event.type == YAML_STREAM_END_EVENT
            let outcome = builder.handle(event)
            yaml_event_delete(&event)
            if case .failure(let diagnostic) = outcome {
                var diagnostics = builder.diagnostics
                diagnostics.append(diagnostic)
                throw ConfigError(diagnostics)
            }
            if finished { break }
        }
        if !builder.diagnostics.isEmpty { throw ConfigError(builder.diagnostics) }
        guard let root = builder.root, !root.isNull else { return nil }
        return root
    }

    // MARK: - Errors from libyaml and the UTF-8 check

    private static func syntaxDiagnostic(_ parser: yaml_parser_t, bytes: [UInt8], source: ConfigSource) -> ConfigDiagnostic {
        let problem = parser.problem.map { String(cString: $0) } ?? "unknown error"
        var message = "invalid YAML: \(problem)"
        if let context = parser.context.map({ String(cString: $0) }) {
            let line = Int(parser.context_mark.line) + 1, column = Int(parser.context_mark.column) + 1
            message += source.isFlag ? " (\(context))" : " (\(context) at line \(line), column \(column))"
        }
        let location: ConfigLocation
        if parser.error == YAML_READER_ERROR {
            location = position(ofByte: parser.problem_offset, in: bytes, source: source)
        } else {
            location = ConfigLocation(source: source, line: Int(parser.problem_mark.line) + 1,
                                      column: Int(parser.problem_mark.column) + 1)
        }
        return ConfigDiagnostic(at: location, keyPath: "", message)
    }

    private static func firstInvalidUTF8(in bytes: [UInt8], source: ConfigSource) -> ConfigDiagnostic? {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let encoded):
                offset += encoded.count
            case .emptyInput:
                return nil
            case .error:
                let location = position(ofByte: offset, in: bytes, source: source)
                let byte = String(bytes[offset], radix: 16, uppercase: true)
                return ConfigDiagnostic(
                    at: location, keyPath: "",
                    "the file is not valid UTF-8: found the byte 0x\(byte.count == 1 ? "0" + byte : byte)",
                    showsSourceLine: false)
            }
        }
    }

    /// Line and column (in characters) of a byte offset.
    private static func position(ofByte offset: Int, in bytes: [UInt8], source: ConfigSource) -> ConfigLocation {
        let end = min(offset, bytes.count)
        var lineStart = 0
        var line = 1
        for index in 0..<end where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        let column = String(decoding: bytes[lineStart..<end], as: UTF8.self).count + 1
        return ConfigLocation(source: source, line: line, column: column)
    }
}

// MARK: - Building the tree from events

private struct TreeBuilder {
    enum Outcome { case ok, failure(ConfigDiagnostic) }

    /// A collection being built. A class, so that appending to the innermost open
    /// collection mutates it in place (no copy per element).
    private final class Frame {
        let isMapping: Bool
        let location: ConfigLocation
        let anchor: String?
        var items: [YAMLNode] = []
        var entries: [YAMLMappingEntry] = []
        /// The key whose value is being parsed.
        var pendingKey: YAMLNode?
        /// A repeated key's value is parsed (to stay in sync) and then dropped.
        var pendingKeyIsDuplicate = false
        var firstLineOfKey: [String: Int] = [:]

        init(isMapping: Bool, location: ConfigLocation, anchor: String?) {
            self.isMapping = isMapping
            self.location = location
            self.anchor = anchor
        }
    }

    let source: ConfigSource
    private(set) var root: YAMLNode?
    private(set) var diagnostics: [ConfigDiagnostic] = []
    private var stack: [Frame] = []
    private var anchors: [String: YAMLNode] = [:]
    private var expandedNodes = 0
    private var usedAliases = false
    private var documents = 0

    init(source: ConfigSource) { self.source = source }

    mutating func handle(_ event: yaml_event_t) -> Outcome {
        let location = ConfigLocation(source: source, line: Int(event.start_mark.line) + 1,
                                      column: Int(event.start_mark.column) + 1)
        switch event.type {
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                return .failure(ConfigDiagnostic(at: location, keyPath: "",
                    "expected a single YAML document, found a second one"))
            }
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            guard scalar.length <= YAMLDocumentLoader.maxScalarBytes else {
                return .failure(ConfigDiagnostic(at: location, keyPath: currentPath(),
                    "expected a value of at most \(YAMLDocumentLoader.maxScalarBytes) bytes, found one of \(scalar.length) bytes",
                    showsSourceLine: false))
            }
            let text = string(scalar.value, length: scalar.length)
            let tag = scalar.tag.map { String(cString: $0) }
            var style: ScalarStyle
            switch scalar.style {
            case YAML_SINGLE_QUOTED_SCALAR_STYLE, YAML_DOUBLE_QUOTED_SCALAR_STYLE: style = .quoted
            case YAML_LITERAL_SCALAR_STYLE, YAML_FOLDED_SCALAR_STYLE: style = .block
            default: style = .plain
            }
            if let tag {
                switch checkScalarTag(tag, text: text, at: location) {
                case .failure(let diagnostic): return .failure(diagnostic)
                case .style(let tagged): style = tagged
                }
            }
            return complete(YAMLNode(.scalar(text, style), at: location), anchor: anchorName(scalar.anchor))
        case YAML_ALIAS_EVENT:
            let name = anchorName(event.data.alias.anchor) ?? ""
            guard var target = anchors[name] else {
                return .failure(ConfigDiagnostic(at: location, keyPath: currentPath(),
                    "unknown alias '*\(name.escapedForTerminal)'"))
            }
            // An alias puts its anchor's whole subtree here, so its height counts too.
            if stack.count + target.height > YAMLDocumentLoader.maxDepth {
                return .failure(tooDeep(at: location))
            }
            target.location = location
            usedAliases = true
            return complete(target, anchor: nil)
        case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
            let isMapping = event.type == YAML_MAPPING_START_EVENT
            // Checked before the frame is pushed: no tree deeper than the limit is ever built.
            guard stack.count < YAMLDocumentLoader.maxDepth else { return .failure(tooDeep(at: location)) }
            let (anchor, tag) = isMapping
                ? (event.data.mapping_start.anchor, event.data.mapping_start.tag)
                : (event.data.sequence_start.anchor, event.data.sequence_start.tag)
            if let tag = tag.map({ String(cString: $0) }), tag != (isMapping ? "tag:yaml.org,2002:map" : "tag:yaml.org,2002:seq") {
                return .failure(unexpectedTag(tag, on: isMapping ? "a mapping" : "a list", at: location))
            }
            stack.append(Frame(isMapping: isMapping, location: location, anchor: anchorName(anchor)))
            return count(1, at: location)
        case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast() else { return .ok }
            let node = YAMLNode(frame.isMapping ? .mapping(frame.entries) : .sequence(frame.items), at: frame.location)
            return complete(node, anchor: frame.anchor, countedAlready: true)
        default:
            break
        }
        return .ok
    }

    private mutating func count(_ nodes: Int, at location: ConfigLocation) -> Outcome {
        expandedNodes += nodes
        if expandedNodes > YAMLDocumentLoader.maxExpandedNodes {
            let limit = YAMLDocumentLoader.maxExpandedNodes
            return .failure(ConfigDiagnostic(at: location, keyPath: "", usedAliases
                ? "aliases expand to more than \(limit) nodes; refusing to expand (is this a 'billion laughs' document?)"
                : "expected at most \(limit) values, found more (a config file is not a data file)"))
        }
        return .ok
    }

    private func tooDeep(at location: ConfigLocation) -> ConfigDiagnostic {
        ConfigDiagnostic(at: location, keyPath: currentPath(levels: 3),
            "nesting deeper than \(YAMLDocumentLoader.maxDepth) levels of mappings and lists", showsSourceLine: false)
    }

    private func unexpectedTag(_ tag: String, on what: String, at location: ConfigLocation) -> ConfigDiagnostic {
        let name = YAMLDocumentLoader.standardTags[tag] ?? tag
        let accepted = "!!str, !!int, !!float, !!bool, !!null on values, !!map on mappings, !!seq on lists"
        let problem = YAMLDocumentLoader.standardTags[tag] == nil ? "unknown tag '\(name.escapedForTerminal)'" : "tag \(name) on \(what)"
        return ConfigDiagnostic(at: location, keyPath: currentPath(),
            "\(problem); the only tags allowed are the standard ones (\(accepted))")
    }

    /// A scalar's tag: the style it forces (`!!str`: quoted, the typed tags: plain), or an
    /// error for a tag the runner does not define or a value that does not fit its tag.
    private enum TagCheck { case style(ScalarStyle), failure(ConfigDiagnostic) }

    private func checkScalarTag(_ tag: String, text: String, at location: ConfigLocation) -> TagCheck {
        let fits: Bool
        switch tag {
        case "tag:yaml.org,2002:str": return .style(.quoted)
        case "tag:yaml.org,2002:int": fits = Int(text) != nil || UInt64(text) != nil
        case "tag:yaml.org,2002:float": fits = Double(text) != nil
        case "tag:yaml.org,2002:bool": fits = ["true", "True", "TRUE", "false", "False", "FALSE"].contains(text)
        case "tag:yaml.org,2002:null": fits = ["", "~", "null", "Null", "NULL"].contains(text)
        default: return .failure(unexpectedTag(tag, on: "a value", at: location))
        }
        guard fits else {
            let name = YAMLDocumentLoader.standardTags[tag] ?? tag
            return .failure(ConfigDiagnostic(at: location, keyPath: currentPath(),
                "expected a value that fits its tag \(name), found '\(text.escapedForTerminal)'"))
        }
        return .style(.plain)
    }

    /// Attaches a finished node to its parent (or makes it the root).
    private mutating func complete(_ node: YAMLNode, anchor: String?, countedAlready: Bool = false) -> Outcome {
        if !countedAlready {
            // Scalars count 1; an alias counts its whole expanded subtree.
            if case .failure(let diagnostic) = count(node.expandedSize, at: node.location) {
                return .failure(diagnostic)
            }
        }
        if let anchor { anchors[anchor] = node }
        guard let parent = stack.last else {
            root = node
            return .ok
        }
        guard parent.isMapping else {
            parent.items.append(node)
            return .ok
        }
        if let key = parent.pendingKey {
            if !parent.pendingKeyIsDuplicate {
                parent.entries.append(YAMLMappingEntry(key: key, value: node))
            }
            parent.pendingKey = nil
            parent.pendingKeyIsDuplicate = false
            return .ok
        }
        guard let keyText = node.scalarText else {
            return .failure(ConfigDiagnostic(at: node.location, keyPath: currentPath(),
                "expected a plain key, found \(node.foundDescription) used as a key"))
        }
        if let firstLine = parent.firstLineOfKey[keyText] {
            diagnostics.append(ConfigDiagnostic(at: node.location, keyPath: joinPath(currentPath(), keyText),
                "duplicate key '\(keyText.escapedForTerminal)' (first defined at line \(firstLine))"))
            parent.pendingKeyIsDuplicate = true
        } else {
            parent.firstLineOfKey[keyText] = node.location.line
        }
        parent.pendingKey = node
        return .ok
    }

    /// The key path of the node being built, e.g. `model.hidden_size` or `evaluation.metrics[1]`.
    /// `levels` keeps only the outermost levels (then `...`), for paths of deep nesting.
    private func currentPath(levels: Int = .max) -> String {
        var path = ""
        for (depth, frame) in stack.enumerated() {
            if depth == levels {
                path += "..."
                break
            }
            if !frame.isMapping {
                path += "[\(frame.items.count)]"
            } else if let key = frame.pendingKey?.scalarText {
                path = joinPath(path, key)
            }
        }
        return path
    }

    private func joinPath(_ path: String, _ key: String) -> String {
        path.isEmpty ? key : "\(path).\(key)"
    }

    private func anchorName(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        pointer.map { String(cString: $0) }
    }

    private func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?, length: Int) -> String {
        guard let pointer else { return "" }
        return String(decoding: UnsafeBufferPointer(start: pointer, count: length), as: UTF8.self)
    }
}
