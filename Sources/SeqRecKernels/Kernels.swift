// This build's kernel set: the entry points SeqRec calls through `any KernelSet.Type`
// (SeqRecKernelAPI). Each is in the file of its concept; this file holds the rows one step of
// a recurrent cell sees, and the chunk schedule every row loop shares.

import SeqRecKernelAPI

public enum Kernels: KernelSet {}

/// Row b of a recurrent step in forward. Pointers are at column 0: chunk j adds j, gate block k is at + k*H.
struct ForwardRow {
    let hidden: Int
    let gates: UnsafeMutablePointer<Float>      // [G*H]
    let recurrent: UnsafeMutablePointer<Float>  // [G*H]
    let bias: UnsafePointer<Float>?             // [G*H]
    let recurrentBias: UnsafePointer<Float>     // [G*H]
    let hPrev: UnsafePointer<Float>             // [H]
    let hNext: UnsafeMutablePointer<Float>      // [H]
    let cPrev: UnsafePointer<Float>             // [H]
    let cNext: UnsafeMutablePointer<Float>      // [H]
    let cellTanh: UnsafeMutablePointer<Float>   // [H]

    @inline(__always)
    init(_ step: RecurrentForwardStep, row b: Int, gateCount: Int) {
        let (hidden, width, offset) = (step.hidden, gateCount * step.hidden, b * step.hidden)
        self.hidden = hidden
        gates = step.gates + b * width
        recurrent = step.recurrent + b * width
        bias = step.bias
        recurrentBias = step.recurrentBias
        hPrev = step.hPrev + offset
        hNext = step.hNext + offset
        cPrev = step.cPrev + offset
        cNext = step.cNext + offset
        cellTanh = step.cellTanh + offset
    }
}

/// Row b of a recurrent step in backward, pointers at column 0 as in ForwardRow.
struct BackwardRow {
    let hidden: Int
    let gates: UnsafeMutablePointer<Float>      // [G*H]
    let recurrent: UnsafeMutablePointer<Float>  // [G*H]
    let hPrev: UnsafePointer<Float>             // [H]
    let hNext: UnsafePointer<Float>             // [H]
    let cPrev: UnsafePointer<Float>             // [H]
    let cellTanh: UnsafePointer<Float>          // [H]
    let dOut: UnsafePointer<Float>              // [H]
    let dhCarry: UnsafeMutablePointer<Float>    // [H]
    let dcCarry: UnsafeMutablePointer<Float>    // [H]

    @inline(__always)
    init(_ step: RecurrentBackwardStep, row b: Int, gateCount: Int) {
        let (hidden, width, offset) = (step.hidden, gateCount * step.hidden, b * step.hidden)
        self.hidden = hidden
        gates = step.gates + b * width
        recurrent = step.recurrent + b * width
        hPrev = step.hPrev + offset
        hNext = step.hNext + offset
        cPrev = step.cPrev + offset
        cellTanh = step.cellTanh + offset
        dOut = step.dOut + offset
        dhCarry = step.dhCarry + offset
        dcCarry = step.dcCarry + offset
    }
}

/// The rows of padded steps: the states are carried, so forward copies them and backward
/// passes dh on (dc_carry already holds dc) and writes zero gradients.
enum PaddedRow {
    @inline(__always)
    static func forward(_ step: RecurrentForwardStep, row b: Int, carriesCell: Bool) {
        let offset = b * step.hidden
        RowKernels.copy(step.hPrev + offset, to: step.hNext + offset, count: step.hidden)
        if carriesCell { RowKernels.copy(step.cPrev + offset, to: step.cNext + offset, count: step.hidden) }
    }

    @inline(__always)
    static func backward(_ step: RecurrentBackwardStep, row b: Int, gateCount: Int, separateHiddenSide: Bool) {
        let (offset, width) = (b * step.hidden, gateCount * step.hidden)
        RowKernels.add(step.dOut + offset, into: step.dhCarry + offset, count: step.hidden)
        (step.gates + b * width).update(repeating: 0, count: width)
        if separateHiddenSide { (step.recurrent + b * width).update(repeating: 0, count: width) }
    }
}
