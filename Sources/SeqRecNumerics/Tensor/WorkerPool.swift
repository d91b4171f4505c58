// Runs independent pieces of numeric work on several threads at once. The callers' pieces
// touch disjoint data by construction (one model replica, one result slot, one parameter
// group each), which Swift's Sendable checking cannot see through unsafe pointers and class
// references; this file states that promise in one place instead of at every call site.
//
// A training step opens three short parallel regions (forward/backward, gradient reduction,
// optimizer), about 1,000 per second. GCD's concurrentPerform woke its pool thread for each
// one, and on this virtual machine a wake-up took about 50 us, 8% of a 2-thread LSTM-50
// step. WorkerPool keeps its threads: after a region a worker spins for
// up to `spinLimit`, so the next region of the same step starts at once, then sleeps on a
// condition variable, so an idle pool (evaluation, data loading) costs no CPU.

import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Persistent threads that run `body(0..<count)` per region: index 0 on the caller, the
/// others on the pool's `count - 1` threads, which stop when the pool is released.
///
/// A thread that cannot be created (the process or the system is out of threads or memory)
/// is not waited for: the pool keeps the threads it got, `startFailure` says what went
/// wrong, and the owner reports it (the trainer fails the run). `run` stays correct even
/// then, running the missing indices on the caller.
final class WorkerPool {
    let count: Int
    private let shared: WorkerPoolState
    /// Why not every worker thread started ("could not start worker thread 5 of 299: ..."),
    /// or nil when all did.
    let startFailure: String?

    /// Starts a thread running `body`; returns 0 or the `pthread_create` error number.
    typealias Spawner = (_ name: String, _ body: @escaping @Sendable () -> Void) -> Int32

    init(count: Int, spawn: Spawner = WorkerPool.spawnThread) {
        self.count = max(count, 1)
        let shared = WorkerPoolState()
        var failure: String?
        for index in 1..<self.count {
            let code = spawn("seqrec-worker-\(index)") { [shared] in shared.workerLoop(index: index) }
            if code != 0 {
                failure = "could not start worker thread \(index) of \(self.count - 1): \(String(cString: strerror(code))) "
                    + "(error \(code)); use fewer training.threads"
                break
            }
            shared.workers += 1
        }
        self.shared = shared
        startFailure = failure
    }

    deinit { shared.shutDown() }

    /// Calls `body(index)` for every index in 0..<count concurrently and returns when all
    /// have returned. `body` must not let two indices write the same memory.
    func run(_ body: (Int) -> Void) {
        guard count > 1 else { return body(0) }
        guard shared.workers == count - 1 else {
            // Some threads never started: run every index here rather than wait for them.
            for index in 0..<count { body(index) }
            return
        }
        shared.run(body)
    }

    /// A detached POSIX thread; unlike Foundation's `Thread.start()`, a failure is reported.
    static func spawnThread(name: String, body: @escaping @Sendable () -> Void) -> Int32 {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        let context = Unmanaged.passRetained(ThreadContext(name: name, body: body)).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t?
        #endif
        let code = pthread_create(&thread, &attributes, { raw in
            let pointer: UnsafeMutableRawPointer? = raw
            guard let pointer else { return nil }
            let context = Unmanaged<ThreadContext>.fromOpaque(pointer).takeRetainedValue()
            Thread.current.name = context.name  // also names the POSIX thread (debuggers, top -H)
            context.body()
            return nil
        }, context)
        if code != 0 { Unmanaged<ThreadContext>.fromOpaque(context).release() }
        return code
    }
}

/// What a new thread runs, handed through `pthread_create`'s context pointer.
private final class ThreadContext: Sendable {
    let name: String
    let body: @Sendable () -> Void

    init(name: String, body: @escaping @Sendable () -> Void) {
        self.name = name
        self.body = body
    }
}

/// What the caller and the worker threads share (the threads hold this, not the pool, so
/// releasing the pool stops them).
private final class WorkerPoolState: @unchecked Sendable {
    /// How long an idle worker spins before it sleeps.
    static let spinLimit: Duration = .microseconds(100)

    /// Worker threads started (set while the pool starts them, before any region).
    var workers = 0
    /// Incremented to start a region (and to shut down); workers wait for a change.
    private let generation = Atomic<Int>(0)
    /// Workers still running the current region.
    private let remaining = Atomic<Int>(0)
    private let sleepers = NSCondition()
    private var sleeperCount = 0  // guarded by `sleepers`
    private var shuttingDown = false  // written before the generation bump that announces it
    /// The current region's body; written before the generation bump that publishes it.
    private var job: ((Int) -> Void)?
    private let exited = DispatchSemaphore(value: 0)

    func run(_ body: (Int) -> Void) {
        withoutActuallyEscaping(body) { work in
            job = work
            remaining.store(workers, ordering: .relaxed)
            publishRegion()
            work(0)
            var spins = 0
            while remaining.load(ordering: .acquiring) != 0 {
                spins += 1
                if spins >= 4_096 { sched_yield() }
            }
            job = nil
        }
    }

    func shutDown() {
        shuttingDown = true
        publishRegion()
        for _ in 0..<workers { exited.wait() }
    }

    /// Makes the new generation visible (release: the job and the counters before it) and
    /// wakes sleeping workers.
    private func publishRegion() {
        generation.add(1, ordering: .releasing)
        sleepers.lock()
        if sleeperCount > 0 { sleepers.broadcast() }
        sleepers.unlock()
    }

    /// A worker thread's life. It starts from generation 0, not from the current value: a
    /// thread that starts late must still run the regions published before it started.
    func workerLoop(index: Int) {
        var seen = 0
        while true {
            seen = waitForRegion(after: seen)
            if shuttingDown {
                exited.signal()
                return
            }
            job?(index)
            remaining.subtract(1, ordering: .releasing)
        }
    }

    /// Spins up to `spinLimit` for a generation other than `seen`, then sleeps until one.
    private func waitForRegion(after seen: Int) -> Int {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: Self.spinLimit)
        var spins = 0
        while true {
            let current = generation.load(ordering: .acquiring)
            if current != seen { return current }
            spins += 1
            // Yield now and then: on a busy machine (a sweep's other jobs, parallel tests)
            // the thread that would publish the next region may be waiting for this core.
            if spins % 64 == 0 {
                if clock.now >= deadline { break }
                sched_yield()
            }
        }
        sleepers.lock()
        defer { sleepers.unlock() }
        sleeperCount += 1
        defer { sleeperCount -= 1 }
        while true {
            // Re-checked under the lock: publishRegion bumps the generation before taking
            // the lock to broadcast, so no wake-up is lost.
            let current = generation.load(ordering: .acquiring)
            if current != seen { return current }
            sleepers.wait()
        }
    }
}
