// Thread count of the BLAS library. seqrec's matrices are small (batch x hidden), where
// OpenBLAS's own threading costs more than it gains, so runs pin it explicitly and record
// the number in the report.
import Foundation
#if canImport(Accelerate)
import Accelerate
#else
import CBLAS
#endif

extension BLAS {
    /// Sets the BLAS thread count (nil = the number of cores) and returns it.
    @discardableResult
    public static func configureThreads(_ requested: Int?) -> Int {
        let threads = max(requested ?? ProcessInfo.processInfo.activeProcessorCount, 1)
        #if !canImport(Accelerate)
        openblas_set_num_threads(Int32(threads))
        #endif
        return threads
    }
}
