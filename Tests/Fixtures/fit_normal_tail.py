"""The coefficients of VectorMath.normalTail (Sources/SeqRecKernels/VectorMath.swift), the
upper tail of the standard normal distribution Q(u) = P(Z > u) = erfc(u / sqrt 2) / 2 that
GELU's Phi is made of. Prints the Swift lines; needs numpy only (the reference is math.erfc
in float64).

    /work/torchvenv/bin/python Tests/Fixtures/fit_normal_tail.py

Q(u) = exp(-u^2/2) * h(t) / (u + 3), t = (u - 3) / (u + 3), for 0 <= u <= 13.5
(t in [-1, 0.636]). h(t) = sqrt(pi/2) exp(u^2/2) erfc(u / sqrt 2) (u + 3) / sqrt(2 pi) is
Mills' ratio times (u + 3) / sqrt(2 pi): smooth, from 1.5 at u = 0 down to 1/sqrt(2 pi) = 0.4 as u
grows, so one polynomial in t fits the whole half line. Degree 9, fitted by weighted least squares on Chebyshev
nodes for the relative error, then Lawson's reweighting towards minimax: relative error
1.8e-8 of the polynomial in float64; evaluated in float32 (t, Horner, the product) it is within
about 4 ulp, which the Swift test bounds together with the exponential.
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
