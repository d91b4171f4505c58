"""The coefficients of VectorMath.normalTailRatio (Sources/SeqRecKernels/VectorMath.swift):
the upper tail of the standard normal distribution Q(u) = P(Z > u) = erfc(u / sqrt 2) / 2,
which GELU's Phi is made of, divided by exp(-u^2/2). Prints the Swift lines; needs numpy only
(the reference is math.erfc in float64).

    /work/torchvenv/bin/python Tests/Fixtures/fit_normal_tail.py

Q(u) = exp(-u^2/2) h(t) / (u + 3), t = (u - 3) / (u + 3), for 0 <= u <= 13.5 (t in
[-1, 0.636]). h = Q(u) exp(u^2/2) (u + 3), Mills' ratio times (u + 3) / sqrt(2 pi), is smooth,
from 1.5 at u = 0 down to 1 / sqrt(2 pi) = 0.4 as u grows, so one polynomial in t fits the
whole half line. Degree 9: weighted least squares on a dense grid for the relative error,
Lawson's reweighting towards minimax, the coefficients rounded to float32 from the highest
down (refitting the lower ones each time) and the constant nudged so that h(-1) = 1.5
exactly: relative error 9.8e-8 in float64. Evaluated in float32 (t, Horner, the products)
with the exponential, GELUKernelTests bounds the result by 8 ulp.
"""
import math

import numpy as np
from numpy.polynomial import chebyshev, polynomial

C = 3.0          # the centre of t = (u - C) / (u + C)
UPPER = 13.5     # Q(13.5) = 7.6e-42: below it Q * u is no longer a normal float
DEGREE = 9
LAWSON_ROUNDS = 20


def target(u):
    """h at u, in float64."""
    return np.array([math.sqrt(math.pi / 2) * math.exp(v * v / 2) * math.erfc(v / math.sqrt(2)) * (v + C)
                     / math.sqrt(2 * math.pi) for v in u])


def fit_power(t, s, h, values, degree, scale, shift):
    """Weighted least squares for the relative error of `values` (a share of h), Lawson's
    reweighting towards minimax; the polynomial in powers of t."""
    weights = 1 / h
    for round_ in range(LAWSON_ROUNDS + 1):
        coefficients = chebyshev.chebfit(s, values, degree, w=np.sqrt(weights))
        error = np.abs(chebyshev.chebval(s, coefficients) - values) / h
        if round_ < LAWSON_ROUNDS:
            weights = weights * error / error.max() + 1e-30
    in_t = np.zeros(1)
    for i, c in enumerate(chebyshev.cheb2poly(coefficients)):
        in_t = polynomial.polyadd(in_t, c * polynomial.polypow([shift, scale], i))
    return np.pad(in_t, (0, degree + 1 - len(in_t)))


def horner_float32(higher, constant, t):
    """h(t) as the Swift code evaluates it: Float fused multiply-adds from the highest
    coefficient down (a product of two Floats is exact in float64, so one rounding of the
    float64 sum emulates each fused step)."""
    h = np.float32(higher[-1])
    for c in list(higher[-2::-1]) + [constant]:
        h = np.float32(np.float64(h) * np.float64(t) + np.float64(c))
    return h


def fit():
    """Coefficients (float32, constant first) and their relative error in float64. Rounded to
    float32 from the highest down, each time refitting the lower ones to what is left, so
    that the rounding of one is absorbed by the others."""
    u = np.linspace(0, UPPER, 40001)
    t = (u - C) / (u + C)
    h = target(u)
    low, high = -1.0, (UPPER - C) / (UPPER + C)
    scale, shift = 2 / (high - low), -(low + high) / (high - low)  # t -> [-1, 1] for Chebyshev
    s = scale * t + shift
    fixed = {}
    for degree in range(DEGREE, -1, -1):
        rest = h - sum(c * t ** i for i, c in fixed.items())
        fixed[degree] = np.float32(fit_power(t, s, h, rest, degree, scale, shift)[degree])
    float32 = [fixed[i] for i in range(DEGREE + 1)]
    # The constant moved by the fewest ulps that make h(-1) = 1.5 exactly in Float (Horner with
    # fused multiply-adds; t = -1 at u = 0): then Q(0) = 1.5 x Float(1/3) rounds to exactly
    # 1/2, and so do Phi(0) and GELU'(0).
    for nudge in sorted(range(-8, 9), key=abs):
        constant = np.nextafter(float32[0], np.float32(np.inf if nudge > 0 else -np.inf)) if nudge else float32[0]
        for _ in range(abs(nudge) - 1):
            constant = np.nextafter(constant, np.float32(np.inf if nudge > 0 else -np.inf))
        if horner_float32(float32[1:], constant, np.float32(-1)) == np.float32(1.5):
            float32[0] = np.float32(constant)
            break
    else:
        raise SystemExit("no constant within 8 ulp gives h(-1) = 1.5")
    relative = np.max(np.abs(polynomial.polyval(t, np.array(float32, dtype=np.float64)) - h) / h)
    return float32, relative


def main():
    coefficients, relative = fit()
    print(f"// degree {DEGREE}, relative error {relative:.2e} (float32 coefficients, float64 evaluation)")
    print(f"var h = Lanes(repeating: {coefficients[-1].item()!r})")
    for c in coefficients[-2::-1]:
        print(f"h = Lanes(repeating: {c.item()!r}).addingProduct(h, t)")


if __name__ == "__main__":
    main()
