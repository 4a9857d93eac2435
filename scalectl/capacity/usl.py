"""Universal Scalability Law (Gunther): X(N) = λN / (1 + σ(N−1) + κN(N−1)).

λ is the throughput of one unit (a replica, or one concurrent user), σ the contention (the serial
fraction, Amdahl), κ the coherency cost (crosstalk, which makes throughput fall past the peak
N* = √((1−σ)/κ)). The fit is bounded non-linear least squares (``scipy.optimize.least_squares``,
σ, κ ≥ 0, σ ≤ 1, λ > 0). Pure: points in, a ``UslModel`` out; degenerate inputs (no point, one point,
a flat or retrograde curve) give a model with warnings, never an exception.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from scalectl.models import UslModel

#: Fewer distinct N values than this: σ and κ rest on too little to trust (warned).
MIN_POINTS = 4
#: Below this coefficient of determination the fit is called poor (warned).
MIN_R2 = 0.9
#: A fitted κ below this is reported as 0 (no measurable coherency cost).
KAPPA_ZERO = 1e-9


def usl_throughput(n: float | np.ndarray, lam: float, sigma: float, kappa: float) -> float | np.ndarray:
    """X(N) for the given coefficients (vectorised over N)."""
    n_arr = np.asarray(n, dtype=float)
    x = lam * n_arr / (1.0 + sigma * (n_arr - 1.0) + kappa * n_arr * (n_arr - 1.0))
    return float(x) if np.ndim(x) == 0 else x


def peak(lam: float, sigma: float, kappa: float) -> tuple[float | None, float | None]:
    """(N*, X(N*)). With κ = 0 there is no peak: N* is None and X tends to λ/σ (None when σ = 0 too)."""
    if kappa > 0:
        n_star = math.sqrt(max(1.0 - sigma, 0.0) / kappa)
        n_star = max(n_star, 1.0)
        return n_star, float(usl_throughput(n_star, lam, sigma, kappa))
    if sigma > 0:
        return None, lam / sigma
    return None, None


def model_throughput(model: UslModel, n: float) -> float:
    return float(usl_throughput(n, model.lam, model.sigma, model.kappa))


def _r2(y: np.ndarray, fitted: np.ndarray) -> float:
    ss_res = float(np.sum((y - fitted) ** 2))
    ss_tot = float(np.sum((y - y.mean()) ** 2))
    if ss_tot <= 1e-12 * max(float(np.sum(y**2)), 1.0):
        return 1.0 if ss_res <= 1e-6 * max(float(np.sum(y**2)), 1.0) else 0.0
    return 1.0 - ss_res / ss_tot


def _build(
    lam: float,
    sigma: float,
    kappa: float,
    n: np.ndarray,
    x: np.ndarray,
    axis: str,
    warnings: list[str],
    r2: float | None,
) -> UslModel:
    n_star, x_star = peak(lam, sigma, kappa)
    return UslModel(
        lam=lam,
        sigma=sigma,
        kappa=kappa,
        peak_n=n_star,
        peak_throughput=x_star,
        r2=r2,
        n_points=len(n),
        axis=axis,
        points=[(float(a), float(b)) for a, b in zip(n, x, strict=True)],
        warnings=warnings,
    )


def fit_usl(
    points: Sequence[tuple[float, float]],
    *,
    axis: str = "replicas",
    min_points: int = MIN_POINTS,
    min_r2: float = MIN_R2,
) -> UslModel:
    """Fit X(N) to ``points`` [(N, throughput)], N ≥ 1.

    - no usable point: λ = 0 and a warning;
    - one distinct N: linear scaling assumed (σ = κ = 0), λ = X/N;
    - two distinct N: κ fixed at 0, λ and σ fitted;
    - three or more: λ, σ and κ fitted; warned below ``min_points`` distinct N or R² below ``min_r2``.
    """
    warnings: list[str] = []
    n, x = _clean_points(points, warnings)
    if len(n) == 0 or float(x.max(initial=0.0)) <= 0:
        warnings.append(f"no measured throughput on the {axis} axis: nothing to fit")
        return _build(0.0, 0.0, 0.0, n, x, axis, warnings, None)
    distinct = np.unique(n)
    if len(distinct) == 1:
        lam = float(x.mean() / distinct[0])
        warnings.append(
            f"one value of N only ({axis}: N={distinct[0]:g}): linear scaling assumed (σ=κ=0); "
            f"measure at least {min_points} values of N to fit contention and coherency"
        )
        return _build(lam, 0.0, 0.0, n, x, axis, warnings, None)
    # λ starts at the throughput per unit at the smallest N.
    lam0 = max(float(x[n == distinct[0]].mean() / distinct[0]), 1e-9)
    fit_kappa = len(distinct) >= 3
    best = _least_squares(n, x, lam0, fit_kappa, warnings)
    if best is None:  # pragma: no cover - defensive
        warnings.append("the fit did not converge; linear scaling from the smallest N assumed")
        return _build(lam0, 0.0, 0.0, n, x, axis, warnings, None)
    lam, sigma = float(best[0]), float(best[1])
    kappa = float(best[2]) if fit_kappa else 0.0
    if kappa < KAPPA_ZERO:
        kappa = 0.0  # numerically zero: no retrograde term
    r2 = _r2(x, np.asarray(usl_throughput(n, lam, sigma, kappa)))
    if not fit_kappa:
        warnings.append(f"two values of N only ({axis}): κ (coherency) fixed at 0, λ and σ fitted")
    warnings.extend(_fit_warnings(lam, sigma, kappa, r2, distinct, min_points=min_points, min_r2=min_r2))
    return _build(lam, sigma, kappa, n, x, axis, warnings, r2)


def _clean_points(
    points: Sequence[tuple[float, float]], warnings: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """N and throughput as sorted arrays, without points that cannot be fitted (noted in ``warnings``)."""
    clean = [
        (float(a), float(b))
        for a, b in points
        if a is not None and b is not None and math.isfinite(a) and math.isfinite(b) and a >= 1 and b >= 0
    ]
    if len(clean) < len(points):
        warnings.append(f"{len(points) - len(clean)} point(s) ignored (N < 1, negative or not finite)")
    clean.sort()
    return np.array([p[0] for p in clean], dtype=float), np.array([p[1] for p in clean], dtype=float)


def _least_squares(
    n: np.ndarray, x: np.ndarray, lam0: float, fit_kappa: bool, warnings: list[str]
) -> np.ndarray | None:
    """The best of a few bounded least-squares fits from different starts: [λ, σ(, κ)], or None."""
    from scipy.optimize import least_squares

    scale = max(float(x.max()), 1e-9)

    def residuals(p: np.ndarray) -> np.ndarray:
        lam, sigma = p[0], p[1]
        kappa = p[2] if fit_kappa else 0.0
        return (usl_throughput(n, lam, sigma, kappa) - x) / scale

    best = None
    starts = [(0.01, 1e-4), (0.2, 1e-3), (0.5, 0.05), (0.9, 0.3)] if fit_kappa else [(0.01, 0), (0.5, 0)]
    for s0, k0 in starts:
        p0 = [lam0, s0, k0] if fit_kappa else [lam0, s0]
        lo = [1e-12, 0.0, 0.0] if fit_kappa else [1e-12, 0.0]
        hi = [np.inf, 1.0, np.inf] if fit_kappa else [np.inf, 1.0]
        try:
            res = least_squares(residuals, p0, bounds=(lo, hi), method="trf", max_nfev=5000)
        except (ValueError, FloatingPointError) as exc:  # pragma: no cover - defensive
            warnings.append(f"fit failed from one start ({exc})")
            continue
        if best is None or res.cost < best.cost:
            best = res
    return None if best is None else best.x


def _fit_warnings(
    lam: float, sigma: float, kappa: float, r2: float, distinct: np.ndarray, *, min_points: int, min_r2: float
) -> list[str]:
    """What makes a fitted curve rough: few points, a poor R², a flat or retrograde curve."""
    warnings = []
    if len(distinct) < min_points:
        warnings.append(
            f"too few points: {len(distinct)} distinct N (want ≥ {min_points}); σ and κ are rough"
        )
    if r2 < min_r2:
        warnings.append(f"poor fit: R²={r2:.2f} < {min_r2:g}; the USL may not describe this curve")
    if sigma >= 0.95:
        warnings.append("flat curve: throughput does not grow with N (σ≈1), a shared resource limits it")
    n_star, _ = peak(lam, sigma, kappa)
    if n_star is not None and n_star <= float(distinct[0]) + 1e-9:
        warnings.append(f"retrograde curve: throughput falls from the smallest N (N*={n_star:.2f})")
    return warnings
