"""exp, expm1, log, atan2 and hypot written out, so that a loop calling them vectorizes.

numba turns ``math.exp`` and ``math.log`` into calls of the C library, one
element at a time: LLVM vectorizes the loop around them only with a vector math
library (Intel SVML), which the llvmlite of PyPI is not built with (see
docs/peers.md). NumPy's ``exp``/``log``/``tanh`` run 4 or 8 elements per
instruction; so do these: they are inlined into the calling loop (numba's
``inline="always"``), and every step of them vectorizes.

The algorithms and coefficients are fdlibm's (Sun Microsystems, 1993, as in
FreeBSD's msun and musl): ``e_exp.c``, ``s_expm1.c``, ``e_log.c``, ``s_atan.c``
and ``e_atan2.c``, each within 1 ulp of the exact value (atan2: 2 ulp); hypot
is the square root of a sum of squares, scaled by a power of 2 where that sum
would overflow or underflow. Their branches are written as selects (every
value is computed, then one is picked), and the scaling by 2^k and the split of
a double into exponent and mantissa work on the bits (:func:`bits_to_float`,
:func:`float_to_bits`), which vectorize too, where fdlibm calls ``scalbn`` and
reads the words of the double.

Special values are kept: exp(-inf) = 0, exp(+inf) = inf, exp overflows to inf
above 709.78 and underflows to 0 (through the subnormals) below -745.13;
log(0) = -inf, log(x < 0) = nan, log(inf) = inf, subnormal arguments are exact;
nan gives nan.
"""

from __future__ import annotations

import math

from llvmlite import ir
from numba import types
from numba.extending import intrinsic

from ._numba_cache import inline_kernel


@intrinsic
def bits_to_float(typingctx, bits):
    """The float64 whose IEEE bits are the int64 ``bits`` (a bit cast, no conversion)."""
    if not isinstance(bits, types.Integer):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(builder.sext(args[0], ir.IntType(64))
                               if bits.bitwidth < 64 else args[0], ir.DoubleType())

    return types.float64(bits), codegen


@intrinsic
def float_to_bits(typingctx, x):
    """The IEEE bits of the float64 ``x``, as an int64 (a bit cast, no conversion)."""
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.IntType(64))

    return types.int64(x), codegen


LN2_HI = 6.93147180369123816490e-01  # ln 2 to 32 bits: k LN2_HI is exact for |k| < 2^21
LN2_LO = 1.90821492927058770002e-10  # ln 2 - LN2_HI
INV_LN2 = 1.44269504088896338700e00
#: 1.5 * 2^52: (t + SHIFT) - SHIFT rounds t to the nearest integer (|t| < 2^51)
SHIFT = 6755399441055744.0
EXP_OVER = 7.09782712893383973096e02  # exp(x) > DBL_MAX above this
EXP_UNDER = -7.45133219101941108420e02  # exp(x) < 2^-1075 (rounds to 0) below this

# e_exp.c: a minimax polynomial of R(r^2) on [0, 0.347^2], |error| < 2^-59
P1 = 1.66666666666666019037e-01
P2 = -2.77777777770155933842e-03
P3 = 6.61375632143793436117e-05
P4 = -1.65339022054652515390e-06
P5 = 4.13813679705723846039e-08


@inline_kernel
def _pow2(k):
    """2^k as a float64, for -1022 <= k <= 1023."""
    return bits_to_float((k + 1023) << 52)


@inline_kernel
def exp(x):
    """e^x within 1 ulp (fdlibm's e_exp.c), branch-free."""
    xc = x if x < 710.0 else 710.0  # nan -> 710 too: no nan reaches the integer k
    xc = xc if xc > -746.0 else -746.0
    kf = (xc * INV_LN2 + SHIFT) - SHIFT  # k = round(x / ln 2)
    hi = xc - kf * LN2_HI  # exact
    lo = kf * LN2_LO
    r = hi - lo  # |r| <= 0.5 ln 2 (a hair more)
    t = r * r
    c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))))
    y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi)  # e^r
    k = int(kf)
    k1 = k >> 1  # two factors, so that k from -1075 to 1024 scales without overflow
    out = y * _pow2(k1) * _pow2(k - k1)
    out = 0.0 if x < EXP_UNDER else out
    out = math.inf if x > EXP_OVER else out
    return x if x != x else out  # nan


# s_expm1.c: a rational approximation of (e^r - 1) on [-0.347, 0.347]
Q1 = -3.33333333333331316428e-02
Q2 = 1.58730158725481460165e-03
Q3 = -7.93650757867487942473e-05
Q4 = 4.00821782732936239552e-06
Q5 = -2.01099218183624371326e-07


@inline_kernel
def expm1_neg(x):
    """e^x - 1 within 1 ulp for x <= 0 (fdlibm's s_expm1.c for x <= 0), branch-free.

    x = k ln 2 + r with |r| <= 0.5 ln 2; fdlibm's three cases for k <= 0
    (k = 0, k = -1, k <= -2) are all computed and one is selected. Below -40,
    e^x - 1 rounds to -1.
    """
    xc = x if x > -40.0 else -40.0  # nan -> -40 too: no nan reaches the integer k
    kf = (xc * INV_LN2 + SHIFT) - SHIFT  # k = round(x / ln 2), -58 <= k <= 0
    hi = xc - kf * LN2_HI
    lo = kf * LN2_LO
    r = hi - lo
    c = (hi - r) - lo  # the rounding error of r
    hfx = 0.5 * r
    hxs = r * hfx
    r1 = 1.0 + hxs * (Q1 + hxs * (Q2 + hxs * (Q3 + hxs * (Q4 + hxs * Q5))))
    t = 3.0 - r1 * hfx
    e = hxs * ((r1 - t) / (6.0 - r * t))
    k0 = r - (r * e - hxs)  # k = 0 (r = x, c = 0)
    e = (r * (e - c) - c) - hxs
    k1 = 0.5 * (r - e) - 0.5  # k = -1
    k = int(kf)
    k2 = (1.0 - (e - r)) * _pow2(k) - 1.0  # k <= -2
    out = k0 if k == 0 else (k1 if k == -1 else k2)
    return x if x != x else out


# e_log.c: a minimax polynomial of R(s^2), s = f / (2 + f), on [0, 0.1716], |error| < 2^-58.45
LG1 = 6.666666666666735130e-01
LG2 = 3.999999999940941908e-01
LG3 = 2.857142874366239149e-01
LG4 = 2.222219843214978396e-01
LG5 = 1.818357216161805012e-01
LG6 = 1.531383769920937332e-01
LG7 = 1.479819860511658591e-01
TWO54 = 1.80143985094819840000e16
DBL_MIN = 2.2250738585072014e-308


@inline_kernel
def log(x):
    """The natural logarithm within 1 ulp (fdlibm's e_log.c), branch-free."""
    sub = x < DBL_MIN  # subnormal (or <= 0, handled at the end): scale by 2^54 first
    xs = x * TWO54 if sub else x
    bits = float_to_bits(xs)
    hx = (bits >> 32) & 0xFFFFFFFF  # the high word
    k = ((hx >> 20) & 0x7FF) - 1023 - (54 if sub else 0)
    hx &= 0x000FFFFF
    i = (hx + 0x95F64) & 0x100000  # normalize x into [sqrt(2)/2, sqrt(2)) ...
    k += i >> 20  # ... and k with it
    f = bits_to_float(((hx | (i ^ 0x3FF00000)) << 32) | (bits & 0xFFFFFFFF)) - 1.0
    s = f / (2.0 + f)
    dk = float(k)
    z = s * s
    w = z * z
    t1 = w * (LG2 + w * (LG4 + w * LG6))
    t2 = z * (LG1 + w * (LG3 + w * (LG5 + w * LG7)))
    R = t2 + t1
    hfsq = 0.5 * f * f
    far = dk * LN2_HI - ((hfsq - (s * (hfsq + R) + dk * LN2_LO)) - f)
    near = dk * LN2_HI - ((s * (f - R) - dk * LN2_LO) - f)
    out = far if ((hx - 0x6147A) | (0x6B851 - hx)) > 0 else near
    out = out if x > 0.0 else (-math.inf if x == 0.0 else math.nan)
    return x if (x != x or x == math.inf) else out


# s_atan.c: atan(t) = atan(c) + atan((t - c) / (1 + t c)) around c = 0, 0.5, 1, 1.5, inf,
# with an odd polynomial of degree 23 on |x| <= 7/16
ATAN_HI = (4.63647609000806093515e-01, 7.85398163397448278999e-01,
           9.82793723247329054082e-01, 1.57079632679489655800e00)  # atan(0.5), atan(1), atan(1.5), pi/2
ATAN_LO = (2.26987774529616870924e-17, 3.06161699786838301793e-17,
           1.39033110312309984516e-17, 6.12323399573676603587e-17)  # their rounding errors
AT0 = 3.33333333333329318027e-01
AT1 = -1.99999999998764832476e-01
AT2 = 1.42857142725034663711e-01
AT3 = -1.11111104054623557880e-01
AT4 = 9.09088713343650656196e-02
AT5 = -7.69187620504482999495e-02
AT6 = 6.66107313738753120669e-02
AT7 = -5.83357013379057348645e-02
AT8 = 4.97687799461593236017e-02
AT9 = -3.65315727442169155270e-02
AT10 = 1.62858201153657823623e-02
PI = 3.14159265358979311600e00
PI_LO = 1.22464679914735317720e-16  # pi - PI


@inline_kernel
def atan_pos(t):
    """atan(t) within 1 ulp for t >= 0, inf included (fdlibm's s_atan.c), branch-free.

    fdlibm's five intervals differ only in the reduced argument num / den and
    the constant atan(c) = hi + lo added back: both are selected, then one
    division and one polynomial serve all of them.
    """
    mid = t < 1.1875
    low = t < 0.6875
    tiny = t < 0.4375
    # reduced argument: t (t < 7/16); (2t - 1) / (2 + t); (t - 1) / (t + 1);
    # (t - 1.5) / (1 + 1.5 t) (t < 39/16); -1 / t
    num = (2.0 * t - 1.0 if low else t - 1.0) if mid else (t - 1.5 if t < 2.4375 else -1.0)
    den = (2.0 + t if low else t + 1.0) if mid else (1.0 + 1.5 * t if t < 2.4375 else t)
    num = t if tiny else num
    den = 1.0 if tiny else den
    hi = (ATAN_HI[0] if low else ATAN_HI[1]) if mid else (ATAN_HI[2] if t < 2.4375 else ATAN_HI[3])
    lo = (ATAN_LO[0] if low else ATAN_LO[1]) if mid else (ATAN_LO[2] if t < 2.4375 else ATAN_LO[3])
    hi = 0.0 if tiny else hi
    lo = 0.0 if tiny else lo
    x = num / den
    z = x * x
    w = z * z
    s1 = z * (AT0 + w * (AT2 + w * (AT4 + w * (AT6 + w * (AT8 + w * AT10)))))
    s2 = w * (AT1 + w * (AT3 + w * (AT5 + w * (AT7 + w * AT9))))
    return hi - ((x * (s1 + s2) - lo) - x)


@inline_kernel
def atan2(y, x):
    """The angle of (x, y) in [-pi, pi] within 2 ulp (fdlibm's e_atan2.c), branch-free.

    atan(|y / x|), mirrored to pi - atan(|y / x|) when the sign bit of x is set,
    with the sign of y; the cases where |y / x| is 0 / 0 or inf / inf are selected
    apart (atan2(+-0, +0) = +-0, atan2(+-0, -0) = +-pi, atan2(+-inf, +-inf) =
    +-pi/4 or +-3pi/4), and nan gives nan.
    """
    ax = abs(x)
    ay = abs(y)
    z = atan_pos(ay / ax)
    z = 0.0 if ay == 0.0 else z  # 0 / 0
    z = ATAN_HI[1] if (ay == math.inf and ax == math.inf) else z  # inf / inf: pi / 4
    z = (PI - (z - PI_LO)) if float_to_bits(x) < 0 else z  # x < 0 or x = -0.0
    z = math.copysign(z, y)
    return y + x if (x != x or y != y) else z


TWO_P500 = 2.0**500
TWO_M500 = 2.0**-500


@inline_kernel
def hypot(x, y):
    """sqrt(x^2 + y^2) within 1 ulp, without overflow or underflow, branch-free.

    Arguments beyond 2^+-500 are scaled by 2^-+600 first (exact: a power of 2),
    the root scaled back; hypot(+-inf, nan) = inf as in C.
    """
    ax = abs(x)
    ay = abs(y)
    big = ax if ax > ay else ay
    scale = (2.0**-600 if big > TWO_P500 else 1.0) if big >= TWO_M500 else 2.0**600
    back = (2.0**600 if big > TWO_P500 else 1.0) if big >= TWO_M500 else 2.0**-600
    xs = ax * scale
    ys = ay * scale
    r = math.sqrt(xs * xs + ys * ys) * back
    return math.inf if (ax == math.inf or ay == math.inf) else r
