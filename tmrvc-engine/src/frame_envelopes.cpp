// Frame envelopes and knot values (see frame_envelopes.h). Each helper mirrors its namesake in
// tmrvc_core/dsp/envelopes.py, including numpy's rounding (rint: half to even) and interpolation rules, so that a
// frame gives the same envelopes here as there up to float64 rounding.
#include "tmrvc/frame_envelopes.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace tmrvc {
namespace {

namespace c = constants;

constexpr double kBinHz = static_cast<double>(c::kSampleRate) / c::kNFft;
constexpr double kLobeUnitHz = static_cast<double>(c::kSampleRate) / c::kWindowLength;  // main lobe ±2 of these
constexpr double kTopHz = 0.5 * c::kSampleRate - kLobeUnitHz;
constexpr double kPi = 3.14159265358979323846;

// numpy.interp: xp increasing; constant fp[0] / fp[last] outside [xp[0], xp[last]].
double interp(double x, const std::vector<double>& xp, const std::vector<double>& fp) {
    const std::size_t n = xp.size();
    if (x <= xp.front()) return fp.front();
    if (x >= xp.back()) return fp.back();
    const std::size_t j = static_cast<std::size_t>(std::upper_bound(xp.begin(), xp.end(), x) - xp.begin()) - 1;
    if (j + 1 >= n) return fp.back();
    const double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    return slope * (x - xp[j]) + fp[j];
}

// Python's float floor division a // b (b > 0), which is not always floor(a / b).
double floorDiv(double a, double b) {
    const double mod = std::fmod(a, b);
    const double div = (a - mod) / b;
    double fl = std::floor(div);
    if (div - fl > 0.5) fl += 1.0;
    return fl;
}

// numpy.rint: round half to even (lrint in the default rounding mode, which nothing in the engine changes).
long rintEven(double v) { return std::lrint(v); }

double lobe(double distanceHz) {
    const double x = std::min(std::abs(distanceHz) / kLobeUnitHz, 2.0);
    const double cs = std::cos(x * (kPi / 4));
    return cs * cs;
}

// Log of the local mean power over ±2 bins (edge-padded): a noise frame's level without its random ripple.
void smooth(const std::vector<double>& frame, std::vector<double>& out) {
    constexpr int kHalf = 2;
    const int n = static_cast<int>(frame.size());
    out.resize(frame.size());
    for (int i = 0; i < n; ++i) {
        double sum = 0.0;
        for (int k = -kHalf; k <= kHalf; ++k) {
            const int j = std::clamp(i + k, 0, n - 1);
            sum += std::exp(2.0 * frame[static_cast<std::size_t>(j)]) * (1.0 / (2 * kHalf + 1));
        }
        out[static_cast<std::size_t>(i)] = 0.5 * std::log(std::max(sum, 1e-30));
    }
}

// The frame's max (or min) over the bins within one bin of each centre frequency.
std::vector<double> curveAt(const std::vector<double>& frame, const std::vector<double>& centresHz, bool pickMax) {
    const long last = static_cast<long>(frame.size()) - 1;
    std::vector<double> out(centresHz.size());
    for (std::size_t i = 0; i < centresHz.size(); ++i) {
        const long centre = rintEven(centresHz[i] / kBinHz);
        double best = frame[static_cast<std::size_t>(std::clamp(centre - 1, 0L, last))];
        for (long d = 0; d <= 1; ++d) {
            const double v = frame[static_cast<std::size_t>(std::clamp(centre + d, 0L, last))];
            best = pickMax ? std::max(best, v) : std::min(best, v);
        }
        out[i] = best;
    }
    return out;
}

// Solves G X = B in place (B: n × m row-major, overwritten by X) for symmetric positive definite G (n × n).
// false when G is not positive definite.
bool choleskySolve(std::vector<double> g, int n, std::vector<double>& b, int m) {
    auto at = [n](int r, int col) { return static_cast<std::size_t>(r) * static_cast<std::size_t>(n) + col; };
    for (int j = 0; j < n; ++j) {  // G = L Lᵀ, L in the lower triangle
        double d = g[at(j, j)];
        for (int k = 0; k < j; ++k) d -= g[at(j, k)] * g[at(j, k)];
        if (!(d > 0.0)) return false;
        g[at(j, j)] = std::sqrt(d);
        for (int i = j + 1; i < n; ++i) {
            double s = g[at(i, j)];
            for (int k = 0; k < j; ++k) s -= g[at(i, k)] * g[at(j, k)];
            g[at(i, j)] = s / g[at(j, j)];
        }
    }
    for (int col = 0; col < m; ++col) {
        auto x = [&b, m, col](int r) -> double& { return b[static_cast<std::size_t>(r) * m + col]; };
        for (int i = 0; i < n; ++i) {  // L y = b
            double s = x(i);
            for (int k = 0; k < i; ++k) s -= g[at(i, k)] * x(k);
            x(i) = s / g[at(i, i)];
        }
        for (int i = n - 1; i >= 0; --i) {  // Lᵀ x = y
            double s = x(i);
            for (int k = i + 1; k < n; ++k) s -= g[at(k, i)] * x(k);
            x(i) = s / g[at(i, i)];
        }
    }
    return true;
}

}  // namespace

void frameEnvelopes(const std::vector<double>& logMag, double f0Hz, std::vector<double>& h, std::vector<double>& n) {
    const std::size_t bins = logMag.size();
    if (!(f0Hz > 0.0) || f0Hz * 2.0 > kTopHz) {  // (a NaN F0 counts as unvoiced)
        smooth(logMag, n);
        h = n;
        return;
    }
    const long count = static_cast<long>(floorDiv(kTopHz, f0Hz));
    std::vector<double> harmonics(static_cast<std::size_t>(count));
    for (long k = 0; k < count; ++k) harmonics[static_cast<std::size_t>(k)] = f0Hz * static_cast<double>(k + 1);
    const std::vector<double> peaks = curveAt(logMag, harmonics, true);
    std::vector<double> mids(harmonics.size() - 1);
    for (std::size_t i = 0; i < mids.size(); ++i) mids[i] = harmonics[i] + 0.5 * f0Hz;
    std::vector<double> noise = curveAt(logMag, mids, false);
    // What the two neighbouring harmonics' lobes still put at the midpoint (nothing for F0 >= 100 Hz).
    const double leakGain = 2.0 * lobe(0.5 * f0Hz);
    for (std::size_t i = 0; i < mids.size(); ++i) {
        const double valley = std::exp(noise[i]);
        const double leak = leakGain * std::exp(interp(mids[i], harmonics, peaks));
        noise[i] = std::log(std::max(valley - leak, 0.1 * valley));
    }
    h.resize(bins);
    n.resize(bins);
    for (std::size_t b = 0; b < bins; ++b) {
        const double f = static_cast<double>(b) * kBinHz;
        h[b] = interp(f, harmonics, peaks);
        n[b] = std::min(interp(f, mids, noise), h[b]);
    }
}

std::vector<double> knotBasis(const std::vector<double>& knotsHz, int nBins) {
    const std::size_t nk = knotsHz.size();
    std::vector<double> basis(nk * static_cast<std::size_t>(nBins));
    std::vector<double> row(nk);
    for (std::size_t j = 0; j < nk; ++j) {
        std::fill(row.begin(), row.end(), 0.0);
        row[j] = 1.0;
        for (int b = 0; b < nBins; ++b)
            basis[j * static_cast<std::size_t>(nBins) + static_cast<std::size_t>(b)] =
                interp(static_cast<double>(b) * kBinHz, knotsHz, row);
    }
    return basis;
}

std::string EnvelopeProjector::prepare(const std::vector<double>& knotsHz, int nBins) {
    knots_.clear();
    solve_.clear();
    if (knotsHz.size() < 2)
        return "speaker bank: " + std::to_string(knotsHz.size()) +
               " envelope knots in metadata.json (models.converter.bank.knots_hz), at least 2 needed "
               "(re-export the models)";
    for (std::size_t j = 0; j < knotsHz.size(); ++j) {
        if (!std::isfinite(knotsHz[j]) || (j > 0 && !(knotsHz[j] > knotsHz[j - 1])))
            return "speaker bank: models.converter.bank.knots_hz must be finite and increasing (knot " +
                   std::to_string(j) + " is not; re-export the models)";
    }
    const int nk = static_cast<int>(knotsHz.size());
    const std::vector<double> basis = knotBasis(knotsHz, nBins);
    std::vector<double> gram(static_cast<std::size_t>(nk) * nk, 0.0);
    for (int i = 0; i < nk; ++i)
        for (int j = 0; j < nk; ++j) {
            double s = 0.0;
            for (int b = 0; b < nBins; ++b)
                s += basis[static_cast<std::size_t>(i) * nBins + b] * basis[static_cast<std::size_t>(j) * nBins + b];
            gram[static_cast<std::size_t>(i) * nk + j] = s;
        }
    std::vector<double> solve = basis;
    if (!choleskySolve(gram, nk, solve, nBins))
        return "speaker bank: the envelope knots (models.converter.bank.knots_hz) leave a knot with no frequency "
               "bin between 0 and Nyquist, so its value cannot be fitted (re-export the models)";
    knots_ = knotsHz;
    nBins_ = nBins;
    solve_ = std::move(solve);
    return "";
}

void EnvelopeProjector::values(const std::vector<double>& logMag, double f0Hz, float* out) {
    frameEnvelopes(logMag, f0Hz, h_, n_);
    const int nk = knotCount();
    for (int j = 0; j < nk; ++j) {
        const double* s = solve_.data() + static_cast<std::size_t>(j) * static_cast<std::size_t>(nBins_);
        double hv = 0.0, nv = 0.0;
        for (int b = 0; b < nBins_; ++b) {
            hv += s[b] * h_[static_cast<std::size_t>(b)];
            nv += s[b] * n_[static_cast<std::size_t>(b)];
        }
        out[j] = static_cast<float>(hv);
        out[nk + j] = static_cast<float>(nv);
    }
}

}  // namespace tmrvc
