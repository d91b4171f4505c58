// The fuzz driver: one executable for every target in `FuzzTarget`, chosen with
// `--target=NAME` (libFuzzer ignores flags that start with `--`).
//
//   Built with `-DFUZZING -sanitize=fuzzer,address` (`make fuzz`): libFuzzer runs the target;
//   every other argument is libFuzzer's (corpus directories, -max_total_time=..., -dict=...).
//   Built normally: replays files (or directories of files) through the target and prints
//   how each ended, which reproduces a crash under the debugger or with a full backtrace.

import Foundation
import SeqRec
#if FUZZING
import CFuzzerDriver
#endif

let usage = "usage: fuzz-seqrec --target=\(FuzzTarget.allCases.map(\.rawValue).joined(separator: "|")) [libFuzzer flags | input files]"

func selectedTarget() -> FuzzTarget {
    let prefix = "--target="
    guard let argument = CommandLine.arguments.first(where: { $0.hasPrefix(prefix) }) else {
        FileHandle.standardError.write(Data("\(usage)\n".utf8))
        exit(2)
    }
    guard let target = FuzzTarget(rawValue: String(argument.dropFirst(prefix.count))) else {
        FileHandle.standardError.write(Data("unknown target '\(argument.dropFirst(prefix.count))'\n\(usage)\n".utf8))
        exit(2)
    }
    return target
}

#if FUZZING
let target = selectedTarget()

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    _ = target.run(size == 0 ? [] : Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
})
#else
let target = selectedTarget()
var files: [String] = []
for argument in CommandLine.arguments.dropFirst() where !argument.hasPrefix("-") {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
        files += names.sorted().map { (argument as NSString).appendingPathComponent($0) }
    } else {
        files.append(argument)
    }
}
for file in files {
    guard let data = FileManager.default.contents(atPath: file) else {
        print("\(file): cannot read")
        continue
    }
    switch target.run([UInt8](data)) {
    case .accepted: print("\(file): accepted")
    case .rejected(let message): print("\(file): rejected: \(message.split(separator: "\n").first ?? "")")
    }
}
#endif
