// A runner started by `runner sweep` dies with the sweep. The sweep cannot arrange that for its
// children itself (posix_spawn has no such attribute), so the child does it, first thing: on
// Linux it asks the kernel for SIGKILL when its parent dies (PR_SET_PDEATHSIG). SIGKILL, not
// SIGTERM: the kernel sends the signal each time the child is handed to a new parent, which
// for a multi-threaded parent can be once per dying thread, and a second SIGTERM would make
// the runner exit without its report anyway. Nothing is lost by it: the run's files are
// written atomically and a rerun continues after the last complete epoch, as after a kill -9.
// If the sweep died before the request was made, the parent is no longer the sweep, and the
// runner exits at once.
import CProcessControl
import Foundation
import SeqRec

func dieWithSweepParent() {
    guard let value = getenv(SweepChild.parentVariable) else { return }
    let text = String(cString: value)
    unsetenv(SweepChild.parentVariable)  // not for processes this runner starts
    guard let sweep = Int32(text), sweep > 0 else { return }
    #if os(Linux)
    let result = seqrec_set_parent_death_signal(SIGKILL)
    if result != 0 {
        writeToStandardError("runner: note: cannot ask to be stopped when the sweep (pid \(sweep)) dies: \(String(cString: strerror(result)))\n")
    }
    #endif
    if getppid() != sweep {
        writeToStandardError("runner: the sweep that started this run (pid \(sweep)) has ended; not starting\n")
        exit(ExitStatus.runFailed)
    }
}
