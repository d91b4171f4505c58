import Foundation
import Synchronization
import Testing
@testable import SeqRec
@testable import SeqRecCore
@testable import SeqRecNumerics

// Hostile input: what a careless or malicious file, flag or data row must not do to the
// runner (crash it, hang it, make it write outside results/, drive the terminal), and the
// exact message and exit code it gets instead. Most cases run the built binary in a scratch
// directory holding the case's files, so that a crash or a hang is seen as one.

/// A scratch directory with `files` (relative paths, created with their folders).
private func scratchDirectory(_ files: [String: [UInt8]]) throws -> URL {
    let scratch = try SweepFixtures.makeScratch()
    for (name, bytes) in files {
        let url = scratch.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
    }
    return scratch
}

/// Runs the runner (or `executable`) in a scratch directory holding `files`; a run longer
/// than `limit` seconds is killed with SIGKILL (a hung runner may never act on SIGTERM) and
/// then fails the test on its status.
private func runner(_ arguments: [String], files: [String: [UInt8]] = [:], prepare: (URL) throws -> Void = { _ in },
                    limit: Double = 60, executable: String = ConfigFixtures.runnerBinary.path) throws -> SweepFixtures.Finished {
    let scratch = try scratchDirectory(files)
    defer { try? FileManager.default.removeItem(at: scratch) }
    try prepare(scratch)
    let launched = try SweepFixtures.launch(executable, arguments, scratch: scratch, in: scratch)
    let deadline = Date().addingTimeInterval(limit)
    while launched.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
    if launched.process.isRunning { kill(launched.process.processIdentifier, SIGKILL) }
    return launched.wait()
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// A small valid experiment (synthetic data) that `--set` and extra keys can break.
let tinySyntheticConfig = """
    dataset:
      synthetic: {users: 40, items: 30, length: 12, lag: 4, noise: 0.2, keys: 3}
      min_user_interactions: 1
    split: {max_length: 8}
    model: {cell: lstm, embedding_size: 4, hidden_size: 4}
    training: {epochs: 1, batch_size: 32, threads: 1}
    evaluation: {metrics: [hr@10]}

    """

private let enabled = SweepFixtures.runnerIsBuilt

// MARK: - Nesting depth

@Test(.enabled(if: enabled)) func configNested50000LevelsIsRejectedNotCrashed() throws {
    let deep = "model: " + String(repeating: "[", count: 50_000) + String(repeating: "]", count: 50_000) + "\n"
    let result = try runner(["validate", "deep.yaml"], files: ["deep.yaml": bytes(deep)])
    #expect(result.stderr == "deep.yaml:1:71: error: model[0][0]...: nesting deeper than 64 levels of mappings and lists\n")
    #expect(result.status == 2)
    #expect(result.stdout.isEmpty)
}

@Test(.enabled(if: enabled)) func configNested200000LevelsIsRejectedQuickly() throws {
    let deep = "model: " + String(repeating: "[", count: 200_000) + String(repeating: "]", count: 200_000) + "\n"
    let start = Date()
    let result = try runner(["validate", "deep.yaml"], files: ["deep.yaml": bytes(deep)], limit: 30)
    #expect(Date().timeIntervalSince(start) < 10)
    #expect(result.stderr == "deep.yaml:1:71: error: model[0][0]...: nesting deeper than 64 levels of mappings and lists\n")
    #expect(result.status == 2)
}

@Test func deepPlainMappingIsANestingErrorNotAnAliasBomb() throws {
    var text = ""
    for level in 0..<100 { text += String(repeating: "  ", count: level) + "a:\n" }
    text += String(repeating: "  ", count: 100) + "b: 1\n"
    let source = ConfigSource(displayName: "deep.yaml", text: text)
    #expect(throws: ConfigError.self) { try YAMLDocumentLoader.load(bytes: bytes(text), source: source) }
    do {
        _ = try YAMLDocumentLoader.load(bytes: bytes(text), source: source)
    } catch {
        #expect(error.description == "deep.yaml:65:129: error: a.a.a...: nesting deeper than 64 levels of mappings and lists")
    }
}

@Test func nestingUpToTheLimitIsAccepted() throws {
    // The top-level mapping is level 1, so `model` may hold 63 levels of lists.
    let fits = "model: " + String(repeating: "[", count: 63) + String(repeating: "]", count: 63)
    let root = try #require(try YAMLDocumentLoader.load(bytes: bytes(fits), source: ConfigSource(displayName: "x", text: fits)))
    #expect(root.height == 64)
    let tooDeep = "model: " + String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
    #expect(throws: ConfigError.self) {
        try YAMLDocumentLoader.load(bytes: bytes(tooDeep), source: ConfigSource(displayName: "x", text: tooDeep))
    }
}

@Test func anAliasCannotSmuggleInDeeperNesting() throws {
    let forty = String(repeating: "[", count: 40) + "1" + String(repeating: "]", count: 40)
    let thirty = String(repeating: "[", count: 30)
    let text = "a: &x \(forty)\nb: \(thirty)*x\(String(repeating: "]", count: 30))\n"
    do {
        _ = try YAMLDocumentLoader.load(bytes: bytes(text), source: ConfigSource(displayName: "alias.yaml", text: text))
        Issue.record("accepted")
    } catch {
        #expect(error.description == "alias.yaml:2:34: error: b[0][0]...: nesting deeper than 64 levels of mappings and lists")
    }
}

@Test func aLongSetKeyPathIsBounded() throws {
    let path = Array(repeating: "a", count: 100).joined(separator: ".")
    #expect(throws: ConfigError.self) { try ConfigOverride.parse("\(path)=1") }
    do {
        _ = try ConfigOverride.parse("\(path)=1")
    } catch {
        #expect(error.description == "--set \(path)=1: error: expected a key path of at most 64 keys, found 100")
    }
}

// MARK: - Sizes

@Test(.enabled(if: enabled)) func aConfigFileOverOneMiBIsRejectedBeforeParsing() throws {
    let huge = "name: " + String(repeating: "a", count: 50 * 1024 * 1024) + "\n"
    let start = Date()
    let result = try runner(["validate", "huge.yaml"], files: ["huge.yaml": bytes(huge)], limit: 30)
    #expect(Date().timeIntervalSince(start) < 10)
    #expect(result.stderr == "huge.yaml: error: expected a config file of at most 1 MiB (1048576 bytes), found 52428807 bytes\n")
    #expect(result.status == 2)
}

@Test(.enabled(if: enabled)) func aScalarOver64KiBIsRejected() throws {
    let long = "name: " + String(repeating: "a", count: 70_000) + "\n"
    let result = try runner(["validate", "long.yaml"], files: ["long.yaml": bytes(long)])
    #expect(result.stderr == "long.yaml:1:7: error: name: expected a value of at most 65536 bytes, found one of 70000 bytes\n")
    #expect(result.status == 2)
}

@Test func aWidePlainDocumentIsNotCalledAnAliasBomb() throws {
    let text = "model: [" + Array(repeating: "1", count: 100_001).joined(separator: ",") + "]\n"
    do {
        _ = try YAMLDocumentLoader.load(bytes: bytes(text), source: ConfigSource(displayName: "wide.yaml", text: text))
        Issue.record("accepted")
    } catch {
        #expect(error.description
            == "wide.yaml:1:200003: error: expected at most 100000 values, found more (a config file is not a data file)")
    }
}

// MARK: - Tags

@Test(.enabled(if: enabled)) func anUnknownTagIsRejected() throws {
    let result = try runner(["validate", "tag.yaml"], files: ["tag.yaml": bytes("model:\n  cell: !foo gru\n")])
    #expect(result.stderr == """
        tag.yaml:2:9: error: model.cell: unknown tag '!foo'; the only tags allowed are the standard ones \
        (!!str, !!int, !!float, !!bool, !!null on values, !!map on mappings, !!seq on lists)
          cell: !foo gru
                ^

        """)
    #expect(result.status == 2)
}

@Test func standardTagsAreCheckedAgainstTheirNodes() throws {
    func message(_ text: String) -> String {
        do {
            _ = try YAMLDocumentLoader.load(bytes: bytes(text), source: ConfigSource(displayName: "t.yaml", text: text))
            return "accepted"
        } catch {
            return error.description.split(separator: "\n").first.map(String.init) ?? ""
        }
    }
    #expect(message("a: !!str 5\nb: !!int 7\nc: !!float 1.5\nd: !!bool true\ne: !!null ~\nf: !!seq [1]\ng: !!map {x: 1}\n") == "accepted")
    #expect(message("a: !!int abc\n") == "t.yaml:1:4: error: a: expected a value that fits its tag !!int, found 'abc'")
    #expect(message("a: !!map [1]\n") == "t.yaml:1:4: error: a: tag !!map on a list; the only tags allowed are the standard ones (!!str, !!int, !!float, !!bool, !!null on values, !!map on mappings, !!seq on lists)")
    #expect(message("a: !<tag:example.com,2000:x> 1\n") == "t.yaml:1:4: error: a: unknown tag 'tag:example.com,2000:x'; the only tags allowed are the standard ones (!!str, !!int, !!float, !!bool, !!null on values, !!map on mappings, !!seq on lists)")
    // A `!!str` number is a string, an `!!int` quoted number a number.
    let root = try #require(try YAMLDocumentLoader.load(bytes: bytes("a: !!str 5\nb: !!int \"7\"\n"),
                                                        source: ConfigSource(displayName: "t.yaml", text: "")))
    #expect(root.value(forKey: "a")?.isPlain == false)
    #expect(root.value(forKey: "b")?.isPlain == true)
}

// MARK: - Files that are not regular files

@Test(.enabled(if: enabled)) func configPathsThatAreNotRegularFilesSayWhatTheyAre() throws {
    let result = try runner(["validate", "fifo.yaml", "dir.yaml", "/dev/zero", "missing.yaml"], prepare: { scratch in
        #expect(mkfifo(scratch.appendingPathComponent("fifo.yaml").path, 0o644) == 0)
        try FileManager.default.createDirectory(at: scratch.appendingPathComponent("dir.yaml"), withIntermediateDirectories: true)
    }, limit: 20)
    #expect(result.stderr == """
        fifo.yaml: error: cannot read the file: it is not a regular file (a FIFO)
        dir.yaml: error: cannot read the file: it is a directory
        /dev/zero: error: cannot read the file: it is not a regular file (a character device)
        missing.yaml: error: cannot read the file: it does not exist

        """)
    #expect(result.status == 2)
}

@Test(.enabled(if: enabled)) func extendsOfANonRegularFileNamesTheExtendsKey() throws {
    let files = ["dir.yaml": bytes("name: a\nextends: base\n"), "fifo.yaml": bytes("extends: pipe.yaml\n"),
                 "zero.yaml": bytes("# device\nextends: /dev/zero\n"), "base/keep": []]
    let result = try runner(["validate", "dir.yaml", "fifo.yaml", "zero.yaml"], files: files, prepare: { scratch in
        #expect(mkfifo(scratch.appendingPathComponent("pipe.yaml").path, 0o644) == 0)
    }, limit: 20)
    #expect(result.stderr == """
        dir.yaml:2:10: error: extends: cannot read 'base': it is a directory
        extends: base
                 ^
        fifo.yaml:1:10: error: extends: cannot read 'pipe.yaml': it is not a regular file (a FIFO)
        extends: pipe.yaml
                 ^
        zero.yaml:2:10: error: extends: cannot read '/dev/zero': it is not a regular file (a character device)
        extends: /dev/zero
                 ^

        """)
    #expect(result.status == 2)
}

// MARK: - Every documented range is enforced

/// Every key of the schema with its dotted path (objects and name-or-object keys opened).
private func schemaLeaves(_ keys: [SchemaKey], prefix: String = "") -> [(path: String, type: SchemaType)] {
    keys.flatMap { key -> [(path: String, type: SchemaType)] in
        let path = prefix + key.name
        var type = key.type
        if case .nullable(let inner, _) = type { type = inner }
        switch type {
        case .object(let children), .nameOrObject(_, let children): return schemaLeaves(children, prefix: path + ".")
        default: return [(path, type)]
        }
    }
}

/// Keys that apply only beside another setting, and that setting.
private let settingsAKeyNeeds = ["training.gbce_t": ["training.loss=gbce"]]

/// The key paths with an error when `path` is set to `value` in a small valid experiment
/// (with the settings the key needs).
private func errorPaths(setting path: String, to value: String) -> [String] {
    do {
        _ = try ConfigLoader.load(bytes: bytes(tinySyntheticConfig), displayName: "t.yaml",
                                  overrides: settingsAKeyNeeds[path, default: []] + ["\(path)=\(value)"])
        return []
    } catch {
        return error.diagnostics.map(\.keyPath)
    }
}

@Test func everyDocumentedNumericRangeIsWhatValidationEnforces() {
    var checked = 0
    for (path, type) in schemaLeaves(ConfigSchema.keys) {
        var outside: [String] = [], inside: [String] = []
        switch type {
        case .integer(let minimum, let maximum):
            (outside, inside) = ([String(minimum - 1)], [String(minimum)])
            if let maximum { (outside, inside) = (outside + [String(maximum + 1)], inside + [String(maximum)]) }
        case .unsignedInteger: (outside, inside) = (["-1"], ["0"])
        case .number(.positive): (outside, inside) = (["0"], ["0.001"])
        case .number(.nonNegative): (outside, inside) = (["-0.001"], ["0"])
        case .number(.unitHalfOpen): (outside, inside) = (["-0.001", "1"], ["0", "0.999"])
        case .number(.unitClosed): (outside, inside) = (["-0.001", "1.001"], ["0", "1"])
        case .number(.any): (outside, inside) = (["nan", ".inf"], ["-3.5"])
        default: continue
        }
        checked += 1
        for value in outside {
            #expect(errorPaths(setting: path, to: value).contains(path), "\(path)=\(value) was accepted")
        }
        for value in inside {
            #expect(!errorPaths(setting: path, to: value).contains(path), "\(path)=\(value) was rejected")
        }
    }
    #expect(checked >= 30)
}

@Test(.enabled(if: enabled)) func syntheticLagBelowThreeFailsValidation() throws {
    let result = try runner(["validate", "t.yaml", "--set", "dataset.synthetic.lag=2"], files: ["t.yaml": bytes(tinySyntheticConfig)])
    #expect(result.stderr == "--set dataset.synthetic.lag=2: error: dataset.synthetic.lag: expected an integer >= 3, found '2'\n")
    #expect(result.status == 2)
}

// MARK: - Threads

@Test(.enabled(if: enabled)) func threadsAboveTheBoundFailValidation() throws {
    let result = try runner(["t.yaml", "--set", "training.threads=300"], files: ["t.yaml": bytes(tinySyntheticConfig)], limit: 30)
    #expect(result.stderr == "--set training.threads=300: error: training.threads: expected an integer from 1 to 256, found '300'\n")
    #expect(result.status == 2)
}

@Test func aWorkerThreadThatCannotStartIsReportedNotWaitedFor() {
    let started = Mutex(0)
    // The third thread fails as pthread_create does when the process is out of threads.
    let pool = WorkerPool(count: 5) { name, body in
        let index = started.withLock { count in
            count += 1
            return count
        }
        return index == 3 ? EAGAIN : WorkerPool.spawnThread(name: name, body: body)
    }
    #expect(pool.startFailure
        == "could not start worker thread 3 of 4: Resource temporarily unavailable (error 11); use fewer training.threads")
    // Still usable (and releasable) without waiting for the missing threads.
    let ran = Mutex<[Int]>([])
    pool.run { index in ran.withLock { $0.append(index) } }
    #expect(ran.withLock { $0.sorted() } == [0, 1, 2, 3, 4])
}

/// A cgroup-v1 `pids` hierarchy this process may create groups in (root on most Linux
/// machines that still mount it), where a run can be given a thread limit.
private let pidsHierarchy = "/sys/fs/cgroup/pids"
private let canLimitThreads = SweepFixtures.runnerIsBuilt && access(pidsHierarchy, W_OK) == 0

@Test(.enabled(if: canLimitThreads)) func aRunThatCannotStartThreadsFailsAndDoesNotHang() throws {
    // A cgroup with pids.max 1 lets the runner keep its main thread and nothing more (OpenBLAS
    // told to use one thread, so that it starts none of its own). Every other thread start
    // fails as on a machine or job at its thread limit: the git query for the report's
    // provenance (Foundation's Process hung here for good) and the training workers.
    let group = "\(pidsHierarchy)/seqrec-test-\(getpid())-\(UInt32.random(in: 0 ... .max))"
    guard mkdir(group, 0o755) == 0 else { return }
    defer { rmdir(group) }
    try "1\n".write(toFile: "\(group)/pids.max", atomically: false, encoding: .utf8)
    let script = "echo $$ > \(group)/cgroup.procs && OPENBLAS_NUM_THREADS=1 exec \"$0\" \"$@\""
    let result = try runner(["-c", script, ConfigFixtures.runnerBinary.path, "t.yaml", "--quiet", "--set", "training.threads=4"],
                            files: ["t.yaml": bytes(tinySyntheticConfig)], limit: 30, executable: "/bin/sh")
    #expect(result.stderr
        == "t: failed: could not start worker thread 1 of 3: Resource temporarily unavailable (error 11); use fewer training.threads\n")
    #expect(result.status == 1)
}

// MARK: - Names are not paths

@Test(.enabled(if: enabled)) func aNameThatIsAPathIsRejectedInTheFileAndInSet() throws {
    let files = ["n.yaml": bytes("name: \"../../x\"\n" + tinySyntheticConfig)]
    let fromFile = try runner(["n.yaml"], files: files)
    #expect(fromFile.stderr == """
        n.yaml:1:7: error: name: expected a name without '/' (a name is not a path), found the string "../../x"
        name: "../../x"
              ^

        """)
    #expect(fromFile.status == 2)
    let fromFlag = try runner(["plan", "n.yaml", "--set", "name=.."], files: files)
    #expect(fromFlag.stderr == "--set name=..: error: name: expected a name without '..' (a name is not a path), found '..'\n")
    #expect(fromFlag.status == 2)
    #expect(fromFlag.stdout.isEmpty)
}

@Test func everyKindOfNonNameIsRejected() {
    func problem(_ name: String) -> String {
        errorPaths(setting: "name", to: "\"\(name)\"").contains("name") ? "rejected" : "accepted"
    }
    for bad in ["a/b", "a\\\\b", "..", "x..y", ".hidden", "", "a\\tb", "a\\u001bb", String(repeating: "n", count: 201)] {
        #expect(problem(bad) == "rejected", "\(bad)")
    }
    for good in ["lstm50", "cells", "a b", "émoji-🙂", "x.y", String(repeating: "n", count: 200)] {
        #expect(problem(good) == "accepted", "\(good)")
    }
}

@Test(.enabled(if: enabled)) func gridValuesThatWouldLeaveTheOutputDirectoryAreRejected() throws {
    let grid = tinySyntheticConfig + "grid:\n  name: [ok, \"../evil\"]\n  dataset.cache_dir: [c, \"../../d\"]\n"
    let result = try runner(["plan", "g.yaml"], files: ["g.yaml": bytes(grid)])
    #expect(result.stderr == """
        g.yaml:9:14: error: grid.name[1]: expected a value without '/': grid values name the run's directory, found '../evil'
          name: [ok, "../evil"]
                     ^
        g.yaml:10:26: error: grid.dataset.cache_dir[1]: expected a value without '/': grid values name the run's directory, found '../../d'
          dataset.cache_dir: [c, "../../d"]
                                 ^

        """)
    #expect(result.status == 2)
    #expect(result.stdout.isEmpty)
}

@Test func aDefaultNameFromAnOddFileNameIsChecked() throws {
    let path = ConfigFixtures.temporaryFile(tinySyntheticConfig, name: "..yaml")
    defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
    do {
        _ = try ConfigLoader.load(path: path, displayName: "..yaml", overrides: [])
        Issue.record("accepted")
    } catch {
        #expect(error.description.hasPrefix(
            "..yaml:1:1: error: name: expected a name that does not start with '.' (a name is not a path), found the default name '.' (the file's stem); set name:"))
    }
}

// MARK: - Data files

/// A one-epoch experiment reading `path` as `format`.
private func dataConfig(_ path: String, format: String) -> [UInt8] {
    bytes("""
        name: t
        dataset: {path: \(path), format: \(format), min_user_interactions: 1}
        split: {max_length: 8}
        model: {cell: pop}
        evaluation: {metrics: [hr@10]}

        """)
}

/// Each format's rows for user `u1` with item ids `items` (raw bytes), ratings 5.
private func rows(_ format: String, items: [[UInt8]]) -> [UInt8] {
    var out: [UInt8] = []
    let header: [String: String] = ["csv": "user_id,item_id,rating\n", "tsv": "user_id\titem_id\trating\n",
                                    "recbole": "user_id:token\titem_id:token\trating:float\n"]
    out += bytes(header[format] ?? "")
    for (index, item) in items.enumerated() {
        switch format {
        case "csv": out += bytes("u1,") + item + bytes(",5\n")
        case "tsv", "recbole": out += bytes("u1\t") + item + bytes("\t5\n")
        case "movielens": out += bytes("u1\t") + item + bytes("\t5\t\(index)\n")
        case "movielens-dat": out += bytes("u1::") + item + bytes("::5::\(index)\n")
        default: out += bytes("u1 ") + item + bytes("\n")
        }
    }
    return out
}

@Test func idsThatAreNotUTF8AreRejectedInEveryFormat() {
    let prefix = "expected UTF-8 text (ids are compared as text), found the byte 0xFF in"
    let expected: [DataFormat: String] = [
        .csv: "f:3: \(prefix) 'u1,\\xff,5'",
        .tsv: "f:3: \(prefix) 'u1\t\\xff\t5'",
        .recbole: "f:3: \(prefix) 'u1\t\\xff\t5'",
        .movielens: "f:2: \(prefix) 'u1\t\\xff\t5\t1'",
        .movielensDat: "f:2: \(prefix) 'u1::\\xff::5::1'",
        .sasrec: "f:2: \(prefix) 'u1 \\xff'",
    ]
    #expect(Set(expected.keys) == Set(DataFormat.allCases))
    for format in DataFormat.allCases {
        // Before the fix, the three ids decoded to one U+FFFD item.
        let data = rows(format.rawValue, items: [bytes("a"), [0xFF], [0xFE], [0xFD]])
        let message = DataFixtures.errorText {
            _ = try InteractionFileParser.parse(bytes: data, file: "f", format: format, columns: nil)
        }
        #expect(message == expected[format], "\(format)")
    }
}

@Test(.enabled(if: enabled)) func idsThatAreNotUTF8FailTheRunNamingTheLine() throws {
    let data = rows("movielens", items: [bytes("a"), [0xFF], [0xFE], [0xFD]])
    let result = try runner(["t.yaml", "--quiet"], files: ["t.yaml": dataConfig("u.data", format: "movielens"), "u.data": data])
    // The scratch directory's absolute path comes first.
    #expect(result.stderr.hasSuffix(
        "/u.data:2: expected UTF-8 text (ids are compared as text), found the byte 0xFF in 'u1\t\\xff\t5\t1'\n"))
    #expect(result.stderr.hasPrefix("t: failed: /"))
    #expect(result.status == 1)
}

@Test func nonFiniteRatingsAndTimestampsAreRejected() {
    func message(_ text: String) -> String {
        DataFixtures.errorText { _ = try InteractionFileParser.parse(bytes: bytes(text), file: "f.csv", format: .csv, columns: nil) }
    }
    for value in ["nan", "NaN", "inf", "-inf", "infinity", "1e39"] {
        #expect(message("user_id,item_id,rating\nu1,a,\(value)\n") == "f.csv:2: rating '\(value)' is not a finite number")
        #expect(message("user_id,item_id,timestamp\nu1,a,\(value == "1e39" ? "1e300" : value)\n")
            == "f.csv:2: timestamp '\(value == "1e39" ? "1e300" : value)' is not a finite number of seconds within the Int64 range")
    }
    let dat = DataFixtures.errorText {
        _ = try InteractionFileParser.parse(bytes: bytes("1::2::nan::3\n"), file: "r.dat", format: .movielensDat, columns: nil)
    }
    #expect(dat == "r.dat:1: rating 'nan' is not a finite number")
    let data = DataFixtures.errorText {
        _ = try InteractionFileParser.parse(bytes: bytes("1\t2\t4\tnan\n"), file: "u.data", format: .movielens, columns: nil)
    }
    #expect(data == "u.data:1: timestamp 'nan' is not a finite number of seconds within the Int64 range")
}

@Test(.enabled(if: enabled)) func aDatasetPathThatIsNotARegularFileIsAConfigErrorAtTheKey() throws {
    let files = ["dir.yaml": dataConfig("data", format: "csv"), "zero.yaml": dataConfig("/dev/zero", format: "csv"),
                 "fifo.yaml": dataConfig("pipe.csv", format: "csv"), "data/keep": []]
    let result = try runner(["validate", "dir.yaml", "zero.yaml", "fifo.yaml"], files: files, prepare: { scratch in
        #expect(mkfifo(scratch.appendingPathComponent("pipe.csv").path, 0o644) == 0)
    }, limit: 20)
    #expect(result.stderr == """
        dir.yaml:2:17: error: dataset.path: cannot read 'data': it is a directory
        dataset: {path: data, format: csv, min_user_interactions: 1}
                        ^
        zero.yaml:2:17: error: dataset.path: cannot read '/dev/zero': it is not a regular file (a character device)
        dataset: {path: /dev/zero, format: csv, min_user_interactions: 1}
                        ^
        fifo.yaml:2:17: error: dataset.path: cannot read 'pipe.csv': it is not a regular file (a FIFO)
        dataset: {path: pipe.csv, format: csv, min_user_interactions: 1}
                        ^

        """)
    #expect(result.status == 2)
}

@Test func theDataLayerNeverOpensAFIFO() throws {
    let directory = try DataFixtures.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let fifo = directory.appendingPathComponent("pipe.csv").path
    #expect(mkfifo(fifo, 0o644) == 0)
    let message = DataFixtures.errorText { _ = try InteractionFileParser.parse(path: fifo, format: .csv, columns: nil) }
    #expect(message == "cannot read dataset file \(fifo): it is not a regular file (a FIFO)")
    let directoryMessage = DataFixtures.errorText {
        _ = try InteractionFileParser.parse(path: directory.path, format: .csv, columns: nil)
    }
    #expect(directoryMessage == "cannot read dataset file \(directory.path): it is a directory")
}

// MARK: - Escaping what is printed

@Test func terminalEscapingRendersControlsAndInvalidBytes() {
    #expect("plain é 🙂\ttab".escapedForTerminal == "plain é 🙂\ttab")
    #expect("\u{1b}[31mred\u{7}\n\r\u{7f}\u{9b}\u{202e}".escapedForTerminal == "\\x1b[31mred\\x07\\n\\r\\x7f\\x9b\\u{202e}")
    #expect(String.escapingForTerminal(bytes: [0x61, 0xFF, 0x1B, 0xC3, 0xA9, 0xE2, 0x82]) == "a\\xff\\x1bé\\xe2\\x82")
}

/// A message of several lines (a data set whose every source failed, with the command to place
/// it by hand) is printed as lines: the breaks kept, a control inside a line still escaped.
@Test func multiLineMessagesKeepTheirLinesAndEscapeTheRest() throws {
    let failure = DataError.acquisitionFailed(dataset: "movielens-1m",
                                              failures: [.init(source: "GroupLens \u{1b}[2J", reason: "offline")],
                                              manualCommand: "mkdir -p x")
    let printed = "\(failure)".escapedForTerminalByLine
    #expect(printed.split(separator: "\n").count == 4 && !printed.contains("\\n"))
    #expect("a\nb\u{7}".escapedForTerminalByLine == "a\nb\\x07" && "a\nb".escapedForTerminal == "a\\nb")
    #expect(printed.contains("\\x1b[2J") && !printed.contains("\u{1b}"))
}

@Test(.enabled(if: enabled)) func escapeSequencesInADataHeaderAreNotEchoedRaw() throws {
    let header = bytes("\u{1b}]0;pwned\u{7}user,\u{1b}[2Jitem\nu1,a\n")
    let result = try runner(["t.yaml", "--quiet"], files: ["t.yaml": dataConfig("h.csv", format: "csv"), "h.csv": header])
    #expect(!result.stderr.contains("\u{1b}") && !result.stderr.contains("\u{7}"))
    #expect(result.stderr.hasSuffix(
        "/h.csv:1: header has no user column 'user_id' (columns: \\x1b]0;pwned\\x07user, \\x1b[2Jitem)\n"))
    #expect(result.status == 1)
}

@Test(.enabled(if: enabled)) func escapeSequencesInConfigValuesAreNotEchoedRaw() throws {
    let config = bytes("model:\n  cell: \"\\e[31mred\\e[0m\"\n")
    let result = try runner(["validate", "e.yaml"], files: ["e.yaml": config])
    #expect(result.stderr == """
        e.yaml:2:9: error: model.cell: unknown cell '\\x1b[31mred\\x1b[0m', expected one of lstm, gru, rnn, sasrec, bert4rec, pop, markov
          cell: "\\e[31mred\\e[0m"
                ^

        """)
    #expect(result.status == 2)
}

// MARK: - runner data

@Test(.enabled(if: enabled)) func anUnknownBuiltinDatasetIsAUsageError() throws {
    let result = try runner(["data", "movielens-1n"])
    #expect(result.stderr == "runner data: unknown built-in dataset 'movielens-1n'; built-in datasets: movielens-100k, movielens-1m (did you mean 'movielens-1m'?)\n")
    #expect(result.status == 2)
    let unknown = try runner(["data", "nosuch"])
    #expect(unknown.stderr == "runner data: unknown built-in dataset 'nosuch'; built-in datasets: movielens-100k, movielens-1m\n")
    #expect(unknown.status == 2)
}

@Test func aLongGridKeyPathIsBounded() throws {
    let path = Array(repeating: "a", count: 30_000).joined(separator: ".")
    let text = "grid:\n  ? \(path)\n  : [1]\n"
    do {
        _ = try ConfigLoader.loadGrid(bytes: bytes(text), displayName: "g.yaml")
        Issue.record("accepted")
    } catch {
        #expect(error.description == "g.yaml:2:5: error: grid: expected a key path of at most 64 keys, found 30000")
    }
}

@Test func pathsWithControlCharactersAreRejected() {
    for key in ["output.dir", "dataset.cache_dir"] {
        #expect(errorPaths(setting: key, to: "\"a\\e[2Jb\"").contains(key), "\(key)")
        #expect(!errorPaths(setting: key, to: "\"a b/c\"").contains(key), "\(key)")
    }
}
