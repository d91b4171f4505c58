// LSTM cell, exactly torch.nn.LSTM (gate order i, f, g, o in the fused [4H, .] weights):
//
//   forward (per step t, row b)                 backward (dh, dc arrive from step t+1 and the output)
//   a      = W_ih x_t + b_ih + W_hh h + b_hh    dh    = dOut_t + dh_carry
//   i      = sigmoid(a_i)                       dc    = dc_carry + dh * o * (1 - tanh(c_t)^2)
//   f      = sigmoid(a_f)                       da_i  = dc * g * i (1 - i)
//   g      = tanh(a_g)                          da_f  = dc * c_{t-1} * f (1 - f)
//   o      = sigmoid(a_o)                       da_g  = dc * i * (1 - g^2)
//   c_t    = f * c_{t-1} + i * g                da_o  = dh * tanh(c_t) * o (1 - o)
//   h_t    = o * tanh(c_t)                      dc_carry = dc * f
//                                               dh_carry = da [B, 4H] x W_hh [4H, H]   (sgemm per step)
//
// Padded (mask false) steps: h_t = h_{t-1}, c_t = c_{t-1}; backward passes dh and dc straight
// through and writes da = 0. Shapes: a/gates [B, 4H] per step, h and c [B, H], W_hh [4H, H].
// The time loop is TimeLoop's (RecurrentCell.swift); the pointwise step is Sources/SeqRecKernels/
// LSTMKernels.swift, compiled once per instruction set (KernelDispatch chooses).

import SeqRecKernelAPI

enum LSTMCell: RecurrentCell {
    static var gateCount: Int { 4 }
    static var stateCount: Int { 2 }
    static var separateHiddenSide: Bool { false }
    static var forgetGate: Int? { 1 }

    static func forward(_ kernels: any KernelSet.Type, _ step: RecurrentForwardStep) { kernels.lstmForward(step) }
    static func backward(_ kernels: any KernelSet.Type, _ step: RecurrentBackwardStep) { kernels.lstmBackward(step) }
}
