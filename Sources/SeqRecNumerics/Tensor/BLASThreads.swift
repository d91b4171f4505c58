// Thread counts. seqrec's matrices are small (batch x hidden), where OpenBLAS's own
// threading costs more than it gains, so BLAS always runs single-threaded inside each of
// seqrec's own worker threads (data-parallel training, see DataParallelStep).
import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

extension BLAS {
    /// Pins BLAS to one thread per caller and returns the worker thread count for a run:
    /// `requested`, or the CPUs the process may use (`CPUAllowance`, at most
    /// `ThreadLimit.maximum`) when nil.
    @discardableResult
    package static func configureThreads(_ requested: Int?) -> Int {
        #if !canImport(Accelerate)
        openblas_set_num_threads(1)
        #endif
        return CPUAllowance.threads(requested: requested).count
    }
}
