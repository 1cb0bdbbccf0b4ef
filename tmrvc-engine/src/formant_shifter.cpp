#include "tmrvc/formant_shifter.h"

#include <algorithm>
#include <cmath>

namespace tmrvc {
namespace c = constants;

void FormantShifter::setSemitones(float semitones) noexcept {
    const float s = std::clamp(semitones, static_cast<float>(-c::kFormantMaxSemitones),
                               static_cast<float>(c::kFormantMaxSemitones));
    if (s == semitones_) return;
    semitones_ = s;
    const double ratio = std::exp2(static_cast<double>(s) / 12.0);
    for (int k = 0; k < kBins; ++k) {
        // the source bin k / ratio, held at the last bin beyond Nyquist
        const double src = std::min(static_cast<double>(k) / ratio, static_cast<double>(kBins - 1));
        const int i = std::min(static_cast<int>(src), kBins - 2);
        index_[static_cast<std::size_t>(k)] = i;
        frac_[static_cast<std::size_t>(k)] = static_cast<float>(src - i);
    }
}

void FormantShifter::smooth(const float* in, float* out) noexcept {
    // box of kFormantSmoothBins centred bins, shrunk at the edges (mean over the bins that exist)
    constexpr int h = c::kFormantSmoothBins / 2;
    prefix_[0] = 0.0;
    for (int k = 0; k < kBins; ++k) prefix_[static_cast<std::size_t>(k + 1)] = prefix_[static_cast<std::size_t>(k)] + in[k];
    for (int k = 0; k < kBins; ++k) {
        const int lo = std::max(0, k - h), hi = std::min(kBins, k + h + 1);
        out[k] = static_cast<float>((prefix_[static_cast<std::size_t>(hi)] - prefix_[static_cast<std::size_t>(lo)]) / (hi - lo));
    }
}

void FormantShifter::process(float* mag) noexcept {
    if (semitones_ == 0.0f) return;
    for (int k = 0; k < kBins; ++k) logMag_[static_cast<std::size_t>(k)] = std::log(mag[k] + static_cast<float>(c::kLogFloor));
    // the upper hull: the running maximum over kFormantHullBins centred bins reaches the nearest harmonic peak
    constexpr int hh = c::kFormantHullBins / 2;
    for (int k = 0; k < kBins; ++k) {
        const int lo = std::max(0, k - hh), hi = std::min(kBins, k + hh + 1);
        tmp_[static_cast<std::size_t>(k)] = *std::max_element(logMag_.begin() + lo, logMag_.begin() + hi);
    }
    smooth(tmp_.data(), logMag_.data());
    std::copy(logMag_.begin(), logMag_.end(), tmp_.begin());
    smooth(tmp_.data(), env_.data());
    for (int k = 0; k < kBins; ++k) {
        const auto u = static_cast<std::size_t>(k);
        const auto i = static_cast<std::size_t>(index_[u]);
        const float warped = env_[i] + frac_[u] * (env_[i + 1] - env_[i]);
        mag[k] *= std::exp(warped - env_[u]);
    }
}

}  // namespace tmrvc
