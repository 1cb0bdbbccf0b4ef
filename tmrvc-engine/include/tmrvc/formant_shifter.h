// FormantShifter: moves the spectral envelope of a magnitude frame by 2^(s/12) while the harmonics stay where they
// are (issue 19), identical to tmrvc_core.dsp.formant. Envelope: the running maximum of the log magnitude over
// kFormantHullBins bins (it reaches the nearest harmonic peak, so it follows the partials' tops, not the valleys
// between them), smoothed twice by a box of kFormantSmoothBins bins; the warped envelope env(k / ratio) is read by linear interpolation from a table
// built when the shift changes; each bin is scaled by exp(env(k / ratio) - env(k)). 0 st leaves the frame untouched.
#pragma once

#include <array>

#include "tmrvc/constants.h"
#include "tmrvc/realtime.h"

namespace tmrvc {

class FormantShifter {
public:
    FormantShifter() noexcept { setSemitones(0.0f); }

    // Clamped to ±kFormantMaxSemitones. Cheap to call every hop: the table is rebuilt only when the value changes.
    void setSemitones(float semitones) noexcept TMRVC_REALTIME;
    float semitones() const noexcept { return semitones_; }
    // mag: kNFreqBins magnitudes, shifted in place.
    void process(float* mag) noexcept TMRVC_REALTIME;

private:
    static constexpr int kBins = constants::kNFreqBins;
    void smooth(const float* in, float* out) noexcept;
    float semitones_ = 1e9f;
    std::array<int, kBins> index_{};     // env(k / ratio) = (1 - frac) env[index] + frac env[index + 1]
    std::array<float, kBins> frac_{};
    std::array<float, kBins> logMag_{}, tmp_{}, env_{};
    std::array<double, kBins + 1> prefix_{};
};

}  // namespace tmrvc
