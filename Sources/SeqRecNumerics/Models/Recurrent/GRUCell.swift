// GRU cell, exactly torch.nn.GRU (gate order r, z, n in the fused [3H, .] weights):
//
//   forward (per step t, row b)                      backward (dh from step t+1 and the output)
//   xr, xz, xn = W_ih x_t + b_ih        [B, 3H]      dh     = dOut_t + dh_carry
//   hr, hz, hn = W_hh h + b_hh          [B, 3H]      dz     = dh * (h_{t-1} - n)
//   r  = sigmoid(xr + hr)                            dn     = dh * (1 - z)
//   z  = sigmoid(xz + hz)                            dn_pre = dn * (1 - n^2)          (= d xn)
//   n  = tanh(xn + r * hn)                           d hn   = dn_pre * r
//   h_t = (1 - z) * n + z * h_{t-1}                  dr_pre = dn_pre * hn * r (1 - r)   (= d xr = d hr)
//                                                    dz_pre = dz * z (1 - z)            (= d xz = d hz)
//                                                    dh_carry = dh * z + [dr_pre, dz_pre, d hn] x W_hh
//
// The hidden side is separate (r multiplies hn + b_hn): W_hh h goes to recurrent [B, 3H] and
// b_hh is added here. The input-side gradients [dr_pre, dz_pre, dn_pre] go to gates and the
// hidden-side ones [dr_pre, dz_pre, d hn] to recurrent (they differ only in the n block).
// Padded steps carry h and write zero gradients. The time loop is TimeLoop's (RecurrentCell.swift); the
// pointwise step is Sources/SeqRecKernels/GRUKernels.swift, compiled once per instruction set.

import SeqRecKernelAPI

enum GRUCell: RecurrentCell {
    static var gateCount: Int { 3 }
    static var stateCount: Int { 1 }
    static var separateHiddenSide: Bool { true }
    static var forgetGate: Int? { nil }

    static func forward(_ kernels: any KernelSet.Type, _ step: RecurrentForwardStep) { kernels.gruForward(step) }
    static func backward(_ kernels: any KernelSet.Type, _ step: RecurrentBackwardStep) { kernels.gruBackward(step) }
}
