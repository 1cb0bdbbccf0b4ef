// PolyphaseResampler: causal Kaiser-windowed-sinc rational resampler, block-size invariant.
// Design and streaming rule: docs/dsp-and-streaming.md ("Polyphase resampler").
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tmrvc/realtime.h"

namespace tmrvc {

// Largest up or down factor the engine accepts (filter length grows with it).
inline constexpr int kMaxResamplerFactor = 1000;

// Reduced fraction up/down of outRate/inRate (rates must be > 0).
void resamplerRatio(int inRate, int outRate, int& up, int& down) noexcept;
// Half length of the filter in intermediate samples (0 for equal rates); the host is the side that is
// not constants::kSampleRate (the input when neither is).
int resamplerHalfLength(int inRate, int outRate) noexcept;
// Float64 design stored as float32: 2 * half + 1 taps ({1} for equal rates).
std::vector<float> designResamplerTaps(int inRate, int outRate);
// Modified Bessel I0 by its power series (stops when a term is below 1e-20 of the sum).
double besselI0(double x) noexcept;

class PolyphaseResampler {
public:
    // Designs the taps and sizes the history for blocks of up to maxInput samples.
    // Returns "" or why the ratio is unsupported. Equal rates = identity.
    std::string prepare(int inRate, int outRate, int maxInput);
    // Consumes n <= maxInput samples and writes the outputs that now exist; returns how many.
    int process(const float* in, int n, float* out) noexcept TMRVC_REALTIME;
    // Upper bound of the outputs one n-sample block can produce.
    int maxOutput(int n) const noexcept;
    // Group delay in host samples (host = the side that is not 24 kHz): half / r.
    int hostDelay() const noexcept { return hostDelay_; }
    bool isIdentity() const noexcept { return up_ == down_; }
    // Clears the history: zero initial state again.
    void reset() noexcept TMRVC_REALTIME;
    int up() const noexcept { return up_; }
    int down() const noexcept { return down_; }
    const std::vector<float>& taps() const noexcept { return taps_; }

private:
    int up_ = 1;
    int down_ = 1;
    int maxInput_ = 0;
    int hostDelay_ = 0;
    int historyLength_ = 0;      // samples of past input kept between blocks
    std::vector<float> taps_;
    std::vector<float> buffer_;  // historyLength_ past samples followed by the current block
    std::int64_t nextInput_ = 0;  // floor(m * down / up) of the next output m, relative to inputs consumed
    int nextPhase_ = 0;           // m * down - nextInput * up, in [0, up)
};

}  // namespace tmrvc
