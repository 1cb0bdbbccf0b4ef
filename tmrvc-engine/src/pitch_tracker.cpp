#include "tmrvc/pitch_tracker.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace tmrvc {

int PitchTracker::tauMin() noexcept {
    return static_cast<int>(std::floor(constants::kSampleRate / constants::kF0Max));
}

int PitchTracker::tauMax() noexcept {
    return static_cast<int>(std::floor(constants::kSampleRate / constants::kF0Min));
}

PitchTracker::PitchTracker(int windowLength, int capacity)
    : windowLength_(windowLength), capacity_(std::max(windowLength, capacity)) {
    if (windowLength < minWindowLength()) {
        throw std::invalid_argument("PitchTracker: window length must be >= " + std::to_string(minWindowLength()) +
                                    " samples (tau_max + 1), got " + std::to_string(windowLength));
    }
    frame_.assign(static_cast<std::size_t>(capacity_), 0.0);
    difference_.assign(static_cast<std::size_t>(tauMax()) + 1, 0.0);
}

void PitchTracker::setWindowLength(int windowLength) noexcept TMRVC_REALTIME {
    windowLength_ = std::clamp(windowLength, minWindowLength(), capacity_);
}

float PitchTracker::estimate(const float* frame) noexcept TMRVC_REALTIME {
    const int length = windowLength_;
    const int maxLag = tauMax();
    double energy = 0.0;
    for (int j = 0; j < length; ++j) {
        const double v = frame[j];
        frame_[static_cast<std::size_t>(j)] = v;
        energy += v * v;
    }
    if (std::sqrt(energy / static_cast<double>(length)) < constants::kF0SilenceRms) return 0.0f;

    const double* x = frame_.data();
    double* d = difference_.data();
    const int integration = length - maxLag;
    // d(tau): eight lags at a time, each summed sequentially over j (independent chains, same result).
    constexpr int kBlock = 8;
    int lag = 0;
    for (; lag + kBlock - 1 <= maxLag; lag += kBlock) {
        double sums[kBlock] = {};
        for (int j = 0; j < integration; ++j) {
            const double a = x[j];
            const double* lagged = x + j + lag;
            for (int b = 0; b < kBlock; ++b) {
                const double diff = a - lagged[b];
                sums[b] += diff * diff;
            }
        }
        for (int b = 0; b < kBlock; ++b) d[lag + b] = sums[b];
    }
    for (; lag <= maxLag; ++lag) {
        double sum = 0.0;
        for (int j = 0; j < integration; ++j) {
            const double diff = x[j] - x[j + lag];
            sum += diff * diff;
        }
        d[lag] = sum;
    }
    // Cumulative mean normalised difference, in place.
    double cumulative = 0.0;
    d[0] = 1.0;
    for (int tau = 1; tau <= maxLag; ++tau) {
        cumulative += d[tau];
        d[tau] = cumulative != 0.0 ? d[tau] * static_cast<double>(tau) / cumulative : 1.0;
    }
    int tau = tauMin();
    while (tau < maxLag && !(d[tau] < constants::kYinThreshold)) ++tau;
    if (tau < maxLag) {
        while (tau + 1 <= maxLag - 1 && d[tau + 1] < d[tau]) ++tau;
    } else {
        // No clear dip: the global minimum still counts as voiced under the looser threshold (first one on ties,
        // as numpy's argmin).
        tau = tauMin();
        for (int k = tauMin() + 1; k < maxLag; ++k)
            if (d[k] < d[tau]) tau = k;
        if (!(d[tau] < constants::kYinVoicingThreshold)) return 0.0f;
    }

    const double a = d[tau - 1];
    const double b = d[tau];
    const double c = d[tau + 1];
    const double den = a - 2.0 * b + c;
    const double refined = std::fabs(den) > 1e-12 ? tau + 0.5 * (a - c) / den : static_cast<double>(tau);
    return static_cast<float>(constants::kSampleRate / refined);
}

float f0ToModelInput(float f0Hz, float semitones) noexcept TMRVC_REALTIME {
    if (!(f0Hz > 0.0f)) return 0.0f;
    const double shifted = static_cast<double>(f0Hz) * std::pow(2.0, static_cast<double>(semitones) / 12.0);
    return static_cast<float>(std::log(shifted + 1.0));
}

}  // namespace tmrvc
