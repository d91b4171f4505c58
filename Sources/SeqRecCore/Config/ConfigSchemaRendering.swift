// Renders `ConfigSchema` as a JSON Schema (for editors' YAML language servers) and as the
// markdown key reference. Both files are committed and a test checks they are current.

package enum ConfigReference {
    /// `schema/experiment.schema.json`.
    package static func jsonSchema() -> String {
        let root = ConfigValue.mapping([
            ConfigField("$schema", .string("http://json-schema.org/draft-07/schema#")),
            ConfigField("title", .string("seqrec experiment")),
            ConfigField("description", .string("A seqrec experiment file (YAML). See docs/configuration.md.")),
        ] + objectFields(ConfigSchema.keys, path: []))
        return root.jsonText() + "\n"
    }

    /// The key reference of docs/configuration.md (between the generated-section markers).
    package static func markdown() -> String {
        var lines: [String] = [
            "## Configuration reference",
            "",
            "<!-- Generated from Sources/SeqRecCore/Config/ConfigSchema.swift; a test checks it is current. -->",
            "",
            "An experiment is a YAML mapping. Every key is optional; absent keys take the defaults below.",
            "Unknown keys, wrong types, out-of-range values and unknown names are errors, reported all at once",
            "with `file:line:column`, the key path, what was expected and what was found.",
            "Editors with a YAML language server can validate against `schema/experiment.schema.json`",
            "(add `# yaml-language-server: $schema=../schema/experiment.schema.json` at the top of a file).",
            "",
            "Resolution order: `extends:` parents first (deep merge, the child wins key by key, lists are",
            "replaced), then the file itself, then grid values, then each `--set key.path=value` flag in order.",
            "A `--set` value is read as YAML (`--set evaluation.metrics=[hr@10,ndcg@10]`) and is checked like",
            "a value in the file; its errors name the flag. `runner validate FILE` prints the resolved result.",
            "A `--set` may not change a key that a grid varies; `--set grid.KEY.PATH=[v1, v2]` gives that",
            "axis other values instead (see [Grids](#grids)).",
            "A child that takes its data from another source (`name`, `path` or `synthetic`), or from a",
            "file of another format (`.inter` under a `.csv` parent), drops the parent's `dataset.format`",
            "and `dataset.columns`, which described the parent's data; a file of the same format keeps them.",
            "",
        ]
        lines += [
            "Example: a file that starts from another and changes two keys, plus a one-off override:",
            "",
            "```yaml",
            "# experiments/gru50.yaml",
            "extends: lstm50.yaml",
            "name: gru50",
            "model:",
            "  cell: gru",
            "```",
            "",
            "```sh",
            "swift run -c release runner experiments/gru50.yaml --set training.epochs=5",
            "```",
            "",
            "### Top-level keys",
            "",
            "| Key | Type and allowed values | Default | Meaning |",
            "|---|---|---|---|",
        ]
        for key in ConfigSchema.keys {
            if case .object = key.type {
                lines.append("| `\(key.name)` | mapping | see [`\(key.name)`](#\(key.name)) | \(cell(key.summary)) |")
            } else {
                appendRows(key, path: [], to: &lines)
            }
        }
        lines.append("")
        for key in ConfigSchema.keys {
            guard case .object = key.type else { continue }
            lines.append("### `\(key.name)`")
            lines.append("")
            lines.append(key.summary)
            lines.append("")
            lines.append("| Key | Type and allowed values | Default | Meaning |")
            lines.append("|---|---|---|---|")
            appendRows(key, path: [], to: &lines)
            lines.append("")
        }
        lines += [
            "### Grids",
            "",
            "```yaml",
            "# experiments/cells.yaml: 3 cells x 3 seeds = 9 runs, e.g. results/cells/cell=gru,seed=2/",
            "extends: lstm50.yaml",
            "name: cells",
            "grid:",
            "  model.cell: [lstm, gru, rnn]",
            "  seed: [1, 2, 3]",
            "```",
            "",
            "Each grid path is checked like a key in the file (an unknown path is an error with a",
            "suggestion), and each value like a value written at that path.",
            "",
            "A `--set` of a key the grid varies (the axis itself, a key inside it, or a parent or dataset",
            "source that would replace it) is an error naming the axis: with `--set seed=1`, the points",
            "named `seed=2` and `seed=3` would run with seed 1. To run fewer or other points, give an axis",
            "other values with `--set grid.KEY.PATH=[...]` (the path as the grid writes it):",
            "`--set 'grid.seed=[1]'` runs the three cells with seed 1 only. The axis keeps its place, so",
            "points keep the names and output directories they have in the full grid; an axis the grid",
            "does not have is an error. See [Sweeps](sweeps.md#cutting-a-grid-from-the-command-line).",
            "",
        ]
        lines += [
            "### Rules across keys",
            "",
            "- `dataset`: exactly one of `name`, `path`, `synthetic`; `format` and `columns` only with `path`;",
            "  `format` is required when the extension of `path` does not tell it.",
            "- `dataset.synthetic`: `\(SyntheticSpec.minLag) <= lag <= length - 2`; `keys <= (items - 3) / 2`; `users x length <= \(SyntheticSpec.maxEvents)`.",
            "- `task: rating` requires `training.loss: mse`, rating metrics (`rmse`, `mae`) and a dataset with",
            "  ratings (not `synthetic`); `training.loss: mse` requires `task: rating`; `task: next-item` requires",
            "  ranking metrics.",
            "- `training.early_stopping.metric` must be one of `evaluation.metrics`.",
            "- `training.optimizer.nesterov: true` requires `momentum` > 0.",
            "- `training.sparse_gradients: true` requires `training.optimizer.name` `sgd`, `adam` or `adagrad`,",
            "  `weight_decay: 0`, and `momentum: 0` for `sgd`.",
        ] + familyRules + [
            "- Every next-item loss (`cross-entropy`, `sampled-softmax`, `bce`, `gbce`) trains every trainable",
            "  `model.cell`; `task: rating` trains with `mse`.",
            "- `training.gbce_t` requires `training.loss: gbce`.",
            "- `split.ratios` sum to 1; `split.temporal_cuts` increase strictly inside (0, 1).",
            "- Duplicate keys, non-UTF-8 files, empty files and files that are not a mapping are errors.",
            "  Anchors and aliases are allowed, up to \(YAMLDocumentLoader.maxExpandedNodes) nodes after expansion.",
            "- Limits: a config file holds at most 1 MiB (\(ConfigLoader.maxFileBytes) bytes), a single value at most",
            "  \(YAMLDocumentLoader.maxScalarBytes) bytes, and mappings and lists nest at most \(YAMLDocumentLoader.maxDepth) levels deep (the top-level",
            "  mapping is level 1; an alias counts the levels it brings in). A `--set` key path has at most \(YAMLDocumentLoader.maxDepth) keys.",
            "  An `extends:` chain holds at most \(ConfigLoader.maxExtendsChain) files, the one given included.",
            "- Numbers that size memory are bounded by the config alone (the ranges above: metric cut-offs,",
            "  sampled negatives, synthetic users, items and length) and, once the data is read, by the catalogue:",
            "  `evaluation.candidates: {sampled: N}` needs N below the catalogue's item count (the run stops",
            "  with an error before training otherwise), and a cut-off above it is evaluated exactly (no list",
            "  position exceeds the catalogue). The memory guard counts the evaluation's per-user buffers too.",
            "- Tags: only the standard `!!str`, `!!int`, `!!float`, `!!bool`, `!!null` (on values), `!!map` (on",
            "  mappings) and `!!seq` (on lists). `!!str 5` is the string \"5\"; a typed tag's value must fit it",
            "  (`!!int abc` is an error). Any other tag (`!foo`, `!<...>`) is an error.",
            "",
        ]
        return lines.joined(separator: "\n")
    }

    // MARK: - Defaults

    /// The defaults documented for every key: a default spec, with the optional sections
    /// filled so that their keys have defaults to show.
    /// One per family (a family's own model keys are recorded for its cells only), the
    /// default cell's first.
    private static let documentedDefaults: [ConfigValue] = {
        var spec = ExperimentSpec(name: "x")
        spec.dataset.synthetic = SyntheticSpec()
        spec.dataset.columns = ColumnMapping()
        return [spec.configValue] + ModelFamilyDescriptor.all.compactMap(\.cells.first).map { cell in
            var familySpec = spec
            familySpec.model.cell = cell
            return familySpec.configValue
        }
    }()

    /// One rule per family that constrains other keys: the tasks it trains, sparse gradients,
    /// its own rules (`ModelFamilyDescriptor`).
    private static var familyRules: [String] {
        ModelFamilyDescriptor.all.compactMap { family in
            var parts: [String] = []
            if family.tasks.count < TaskKind.allCases.count {
                parts += family.tasks.map { "`task: \($0.rawValue)` (any \($0.rawValue) loss)" }
            }
            if !family.allowsSparseGradients { parts.append("`training.sparse_gradients: false`") }
            if let text = family.ruleText { parts.append(text) }
            guard let last = parts.last else { return nil }
            let cells = family.cells.map(\.rawValue).joined(separator: ", ")
            let required = parts.count > 1 ? parts.dropLast().joined(separator: ", ") + " and " + last : last
            return "- `model.cell: \(cells)` requires \(required)."
        }
    }

    private static func defaultValue(at path: [String]) -> ConfigValue? {
        documentedDefaults.lazy.compactMap { defaults -> ConfigValue? in
            var value = defaults
            for segment in path {
                guard case .mapping(let fields) = value, let next = fields.first(where: { $0.key == segment }) else { return nil }
                value = next.value
            }
            return value
        }.first
    }

    // MARK: - JSON Schema

    private static func objectFields(_ keys: [SchemaKey], path: [String]) -> [ConfigField] {
        [
            ConfigField("type", .string("object")),
            ConfigField("additionalProperties", .bool(false)),
            ConfigField("properties", .mapping(keys.map { key in
                ConfigField(key.name, property(key, path: path + [key.name]))
            })),
        ]
    }

    private static func property(_ key: SchemaKey, path: [String]) -> ConfigValue {
        var fields = typeFields(key.type, path: path)
        var description = key.summary
        if let defaultText = key.defaultText {
            description += " Default: \(defaultText.replacingOccurrences(of: "`", with: ""))."
        } else if case .object = key.type {
        } else if let value = defaultValue(at: path) {
            fields.append(ConfigField("default", value))
        }
        fields.insert(ConfigField("description", .string(description)), at: 0)
        return .mapping(fields)
    }

    private static func typeFields(_ type: SchemaType, path: [String]) -> [ConfigField] {
        switch type {
        case .integer(let minimum, let maximum):
            return [ConfigField("type", .string("integer")), ConfigField("minimum", .int(minimum))]
                + (maximum.map { [ConfigField("maximum", .int($0))] } ?? [])
        case .unsignedInteger:
            return [ConfigField("type", .string("integer")), ConfigField("minimum", .int(0))]
        case .number(let range):
            var fields = [ConfigField("type", .string("number"))]
            switch range {
            case .any: break
            case .positive: fields.append(ConfigField("exclusiveMinimum", .int(0)))
            case .nonNegative: fields.append(ConfigField("minimum", .int(0)))
            case .unitHalfOpen: fields += [ConfigField("minimum", .int(0)), ConfigField("exclusiveMaximum", .int(1))]
            case .unitClosed: fields += [ConfigField("minimum", .int(0)), ConfigField("maximum", .int(1))]
            }
            return fields
        case .boolean:
            return [ConfigField("type", .string("boolean"))]
        case .string, .filePath:
            return [ConfigField("type", .string("string")), ConfigField("minLength", .int(1))]
        case .choice(let names):
            return [ConfigField("type", .string("string")), ConfigField("enum", .list(names.map(ConfigValue.string)))]
        case .metric:
            return [ConfigField("type", .string("string")), ConfigField("pattern", .string(metricPattern))]
        case .metricList:
            return [
                ConfigField("type", .string("array")),
                ConfigField("minItems", .int(1)),
                ConfigField("uniqueItems", .bool(true)),
                ConfigField("items", .mapping(typeFields(.metric, path: path))),
            ]
        case .candidates:
            return [ConfigField("oneOf", .list([
                .mapping([ConfigField("const", .string("all"))]),
                .mapping([
                    ConfigField("type", .string("object")),
                    ConfigField("additionalProperties", .bool(false)),
                    ConfigField("required", .list([.string("sampled")])),
                    ConfigField("properties", .mapping([
                        ConfigField("sampled", .mapping([
                            ConfigField("description", .string("Negatives ranked against each target.")),
                            ConfigField("type", .string("integer")), ConfigField("minimum", .int(1)),
                            ConfigField("maximum", .int(EvaluationSpec.maxSampledNegatives)),
                        ])),
                        ConfigField("strategy", .mapping([
                            ConfigField("description", .string("How negatives are drawn.")),
                            ConfigField("type", .string("string")),
                            ConfigField("enum", .list(SamplingStrategy.allCases.map { .string($0.rawValue) })),
                            ConfigField("default", .string(SamplingStrategy.uniform.rawValue)),
                        ])),
                    ])),
                ]),
            ]))]
        case .fractions(let count, _):
            return [
                ConfigField("type", .string("array")),
                ConfigField("minItems", .int(count)),
                ConfigField("maxItems", .int(count)),
                ConfigField("items", .mapping([
                    ConfigField("type", .string("number")), ConfigField("minimum", .int(0)), ConfigField("maximum", .int(1)),
                ])),
            ]
        case .object(let keys):
            return objectFields(keys, path: path)
        case .nameOrObject(let names, let keys):
            return [ConfigField("oneOf", .list([
                .mapping(typeFields(.choice(names), path: path)),
                .mapping(objectFields(keys, path: path)),
            ]))]
        case .nullable(let inner, let falseAllowed):
            var options: [ConfigValue] = [.mapping(typeFields(inner, path: path)), .mapping([ConfigField("type", .string("null"))])]
            if falseAllowed { options.append(.mapping([ConfigField("const", .bool(false))])) }
            return [ConfigField("anyOf", .list(options))]
        case .tune:
            let count = [ConfigField("type", .string("integer")), ConfigField("minimum", .int(1))]
            let pair = [ConfigField("type", .string("array")), ConfigField("minItems", .int(2)), ConfigField("maxItems", .int(2)),
                        ConfigField("items", .mapping([ConfigField("type", .string("number"))]))]
            let range = ConfigField("oneOf", .list([
                .mapping([ConfigField("type", .string("object")), ConfigField("required", .list([.string("choice")])),
                          ConfigField("properties", .mapping([ConfigField("choice", .mapping([ConfigField("type", .string("array")), ConfigField("minItems", .int(1))]))])),
                          ConfigField("additionalProperties", .bool(false))]),
                .mapping([ConfigField("type", .string("object")), ConfigField("required", .list([.string("uniform")])),
                          ConfigField("properties", .mapping([ConfigField("uniform", .mapping(pair))])), ConfigField("additionalProperties", .bool(false))]),
                .mapping([ConfigField("type", .string("object")), ConfigField("required", .list([.string("log_uniform")])),
                          ConfigField("properties", .mapping([ConfigField("log_uniform", .mapping(pair))])), ConfigField("additionalProperties", .bool(false))]),
                .mapping([ConfigField("type", .string("object")), ConfigField("required", .list([.string("integer")])),
                          ConfigField("properties", .mapping([ConfigField("integer", .mapping(pair)), ConfigField("log", .mapping([ConfigField("type", .string("boolean"))]))])),
                          ConfigField("additionalProperties", .bool(false))]),
            ]))
            return [
                ConfigField("type", .string("object")),
                ConfigField("required", .list([.string("space")])),
                ConfigField("properties", .mapping([
                    ConfigField("objective", .mapping([ConfigField("type", .list([.string("string"), .string("object")]))])),
                    ConfigField("space", .mapping([
                        ConfigField("type", .string("object")), ConfigField("minProperties", .int(1)),
                        ConfigField("propertyNames", .mapping([ConfigField("pattern", .string("^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$"))])),
                        ConfigField("additionalProperties", .mapping([range])),
                    ])),
                    ConfigField("trials", .mapping(count)),
                    ConfigField("total_epochs", .mapping(count)),
                    ConfigField("sampler", .mapping([ConfigField("type", .list([.string("string"), .string("object")]))])),
                    ConfigField("pruner", .mapping([ConfigField("type", .list([.string("string"), .string("object")]))])),
                    ConfigField("seed", .mapping([ConfigField("type", .string("integer")), ConfigField("minimum", .int(0))])),
                ])),
                ConfigField("additionalProperties", .bool(false)),
            ]
        case .grid:
            return [
                ConfigField("type", .string("object")),
                ConfigField("minProperties", .int(1)),
                ConfigField("propertyNames", .mapping([ConfigField("pattern", .string("^[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+)*$"))])),
                ConfigField("additionalProperties", .mapping([
                    ConfigField("type", .string("array")), ConfigField("minItems", .int(1)),
                ])),
            ]
        }
    }

    private static var metricPattern: String {
        let ranking = MetricKind.allCases.filter(\.isRanking).map(\.rawValue).joined(separator: "|")
        let rating = MetricKind.allCases.filter { !$0.isRanking }.map(\.rawValue).joined(separator: "|")
        // Cut-offs 1 ... EvaluationSpec.maxCutoff: fewer digits, or the maximum itself.
        let shorter = String(EvaluationSpec.maxCutoff).count - 2
        return "^((\(ranking))@([1-9][0-9]{0,\(shorter)}|\(EvaluationSpec.maxCutoff))|\(rating))$"
    }

    // MARK: - Markdown

    private static func appendRows(_ key: SchemaKey, path: [String], to lines: inout [String]) {
        let fullPath = path + [key.name]
        let dotted = fullPath.joined(separator: ".")
        let defaultText = key.defaultText ?? defaultValue(at: fullPath).map { "`\($0.yamlScalar)`" } ?? ""
        switch key.type {
        case .object(let children), .nullable(.object(let children), _), .nameOrObject(_, let children):
            if !path.isEmpty {
                let shownDefault = key.defaultText ?? (isNullDefault(fullPath) ? "`null`" : "—")
                lines.append("| `\(dotted)` | \(typeText(key.type)) | \(shownDefault) | \(cell(key.summary)) |")
            }
            for child in children { appendRows(child, path: fullPath, to: &lines) }
        default:
            lines.append("| `\(dotted)` | \(typeText(key.type)) | \(defaultText) | \(cell(key.summary)) |")
        }
    }

    /// Table cells cannot hold a bare `|`, not even inside backticks.
    private static func cell(_ text: String) -> String {
        text.replacingOccurrences(of: "|", with: "\\|")
    }

    private static func isNullDefault(_ path: [String]) -> Bool {
        var spec = ExperimentSpec(name: "x").configValue
        for segment in path {
            guard case .mapping(let fields) = spec, let next = fields.first(where: { $0.key == segment }) else { return false }
            spec = next.value
        }
        return spec == .null
    }

    private static func typeText(_ type: SchemaType) -> String {
        switch type {
        case .integer(let minimum, let maximum):
            return maximum.map { "integer from \(minimum) to \($0)" } ?? "integer >= \(minimum)"
        case .unsignedInteger: return "integer >= 0"
        case .number(let range):
            switch range {
            case .any: return "number"
            case .positive: return "number > 0"
            case .nonNegative: return "number >= 0"
            case .unitHalfOpen: return "number in [0, 1)"
            case .unitClosed: return "number in [0, 1]"
            }
        case .boolean: return "`true` or `false`"
        case .string: return "string"
        case .filePath: return "file path"
        case .choice(let names): return "one of " + names.map { "`\($0)`" }.joined(separator: ", ")
        case .metric: return "metric (`name@k` or `rmse`, `mae`)"
        case .metricList: return "non-empty list of metrics"
        case .candidates: return "`all` or `{sampled: N, strategy: uniform\\|popularity}`"
        case .fractions(let count, let summing): return "list of \(count) numbers in [0, 1]" + (summing ? " summing to 1" : "")
        case .object: return "mapping"
        case .nameOrObject(let names, _): return "one of " + names.map { "`\($0)`" }.joined(separator: ", ") + ", or a mapping"
        case .nullable(let inner, let falseAllowed): return typeText(inner) + (falseAllowed ? ", `null` or `false`" : " or `null`")
        case .grid: return "mapping of key path to non-empty list"
        case .tune: return "mapping (see [Tuning](tuning.md))"
        }
    }
}
