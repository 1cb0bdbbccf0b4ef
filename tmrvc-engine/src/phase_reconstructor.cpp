#include "tmrvc/phase_reconstructor.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace tmrvc {
namespace c = constants;

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr int kPointerJumps = 10;  // 2^10 >= kNFreqBins: every bin reaches its peak

double binOmega(int k) noexcept { return 2.0 * kPi * static_cast<double>(k) / c::kNFft; }

// Into [-pi, pi): fmod(x + pi, 2 pi), plus 2 pi when negative, minus pi (as tmrvc_core.dsp.phase.wrap).
double wrap(double x) noexcept {
    double r = std::fmod(x + kPi, 2.0 * kPi);
    if (r < 0.0) r += 2.0 * kPi;
    return r - kPi;
}

std::size_t at(int i) noexcept { return static_cast<std::size_t>(i); }

// First bin at or above the maximum voiced frequency (as tmrvc_core.dsp.phase.NOISE_FIRST_BIN).
const int kNoiseFirstBin = std::min(
    c::kNFreqBins, static_cast<int>(std::ceil(c::kPhaseNoiseAboveHz * c::kNFft / c::kSampleRate)));

// Pseudo-random phase in [-pi, pi) for (frame, bin): 32-bit xor-shift-multiply hash of frame * bins + bin
// (as tmrvc_core.dsp.phase.noise_phase).
double noisePhase(std::uint32_t frame, int k) noexcept {
    std::uint32_t x = frame * static_cast<std::uint32_t>(c::kNFreqBins) + static_cast<std::uint32_t>(k);
    x ^= x >> 16;
    x *= 0x7feb352dU;
    x ^= x >> 15;
    x *= 0x846ca68bU;
    x ^= x >> 16;
    return static_cast<double>(x) * (2.0 * kPi / 4294967296.0) - kPi;
}

}  // namespace

void PhaseReconstructor::reset() noexcept TMRVC_REALTIME {
    psi_.fill(0.0);
    for (int k = 0; k < kBins; ++k) omegaPrev_[at(k)] = binOmega(k);
    frame_ = 0;
}

void PhaseReconstructor::step(const float* mag, float* phase) noexcept TMRVC_REALTIME {
    for (int k = 0; k < kBins; ++k)
        logMag_[at(k)] = std::log(std::max(static_cast<double>(mag[k]), c::kFeatureFloor));
    // Each bin points to its higher neighbour (or itself at a peak); pointer jumping finds the peak.
    for (int k = 0; k < kBins; ++k) {
        const double left = k > 0 ? logMag_[at(k - 1)] : logMag_[0] - 1.0;
        const double right = k + 1 < kBins ? logMag_[at(k + 1)] : logMag_[at(kBins - 1)] - 1.0;
        const int up = right > left ? k + 1 : k - 1;
        owner_[at(k)] = std::max(left, right) > logMag_[at(k)] ? up : k;
    }
    for (int j = 0; j < kPointerJumps; ++j) {
        for (int k = 0; k < kBins; ++k) jumped_[at(k)] = owner_[at(owner_[at(k)])];
        owner_ = jumped_;
    }
    for (int k = 0; k < kBins; ++k) {
        const int o = owner_[at(k)];
        const int kk = std::clamp(o, 1, kBins - 2);
        const double a = logMag_[at(kk - 1)], m = logMag_[at(kk)], cc = logMag_[at(kk + 1)];
        const double den = a - 2.0 * m + cc;
        double frac = std::fabs(den) > 1e-9 ? std::clamp(0.5 * (a - cc) / den, -0.5, 0.5) : 0.0;
        if (o == 0 || o == kBins - 1) frac = 0.0;
        omega_[at(k)] = 2.0 * kPi * (static_cast<double>(o) + frac) / c::kNFft;
    }
    for (int k = 0; k < kBins; ++k) {
        const int o = owner_[at(k)];
        const double advance = 0.5 * (omega_[at(k)] + omegaPrev_[at(o)]) * c::kHopLength;
        nextPsi_[at(k)] = wrap(psi_[at(o)] + advance);
    }
    psi_ = nextPsi_;
    omegaPrev_ = omega_;
    // psi is the phase at the synthesis tail's centre (where consecutive frames overlap in the output); carried
    // back to the analysis window's centre, seen from each bin of the peak's region.
    constexpr double centre = c::kWindowLength / 2;
    constexpr double synthesisCentre = c::kWindowLength - c::kSynthesisWindowLength / 2;
    for (int k = 0; k < kNoiseFirstBin; ++k)
        phase[k] = static_cast<float>(
            wrap(psi_[at(k)] + omega_[at(k)] * (centre - synthesisCentre) - binOmega(k) * centre));
    // Above the maximum voiced frequency speech is noise: fresh phase each frame, so a model's recurring magnitude
    // ripples there do not become steady whistles.
    for (int k = kNoiseFirstBin; k < kBins; ++k) phase[k] = static_cast<float>(noisePhase(frame_, k));
    ++frame_;  // wraps mod 2^32 like the Python twin's counter
}

}  // namespace tmrvc
