// Runs a short command and captures its standard output, with posix_spawn and a pipe.
// Foundation's Process starts a helper thread and waits for it without a timeout, so where no
// thread can be created (a cgroup `pids.max` or `ulimit -u` reached) it hangs for good; here a
// failed spawn is just a failure.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

package enum CommandOutput {
    /// `executable arguments...` (found on PATH) with stdin and stderr on /dev/null; its
    /// standard output when it exits 0, nil if it cannot start or fails.
    package static func run(_ executable: String, _ arguments: [String]) -> [UInt8]? {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { return nil }
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        _ = fcntl(readEnd, F_SETFD, FD_CLOEXEC)
        #if os(Linux)
        var actions = posix_spawn_file_actions_t()
        #else
        var actions: posix_spawn_file_actions_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addclose(&actions, writeEnd)

        let words = ([executable] + arguments).map { strdup($0) }
        defer { words.forEach { free($0) } }
        var pid = pid_t()
        let spawned = (words + [nil]).withUnsafeBufferPointer { argv -> Int32 in
            guard let argumentVector = argv.baseAddress else { return EINVAL }
            return posix_spawnp(&pid, executable, &actions, nil, argumentVector, environ)
        }
        close(writeEnd)
        defer { close(readEnd) }
        guard spawned == 0 else { return nil }

        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(readEnd, $0.baseAddress, $0.count) }
            if count > 0 {
                output += chunk[0..<count]
            } else if count == 0 || errno != EINTR {
                break
            }
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // Exited (no signal) with status 0.
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else { return nil }
        return output
    }
}
