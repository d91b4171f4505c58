// Elman RNN cell with tanh, exactly torch.nn.RNN(nonlinearity="tanh"):
//
//   forward (per step t, row b)                    backward
//   a   = W_ih x_t + b_ih + W_hh h + b_hh  [B, H]   dh = dOut_t + dh_carry
//   h_t = tanh(a)                                  da = dh * (1 - h_t^2)
//                                                  dh_carry = da [B, H] x W_hh [H, H]
//
// Padded steps carry h and write da = 0. Forward leaves a in gates and h_t in states only
// (backward reads it there). The time loop is TimeLoop's (RecurrentCell.swift); the
// pointwise step is Sources/SeqRecKernels/RNNKernels.swift, compiled once per instruction set.

import SeqRecKernelAPI

enum RNNCell: RecurrentCell {
    static var gateCount: Int { 1 }
    static var stateCount: Int { 1 }
    static var separateHiddenSide: Bool { false }
    static var forgetGate: Int? { nil }

    static func forward(_ kernels: any KernelSet.Type, _ step: RecurrentForwardStep) { kernels.rnnForward(step) }
    static func backward(_ kernels: any KernelSet.Type, _ step: RecurrentBackwardStep) { kernels.rnnBackward(step) }
}
