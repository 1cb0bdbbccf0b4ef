#include "tmrvc/polyphase_resampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tmrvc/constants.h"

namespace tmrvc {

namespace {
constexpr double kPi = 3.14159265358979323846;
}  // namespace

void resamplerRatio(int inRate, int outRate, int& up, int& down) noexcept {
    const int g = std::gcd(inRate, outRate);
    up = g > 0 ? outRate / g : 1;
    down = g > 0 ? inRate / g : 1;
}

int resamplerHalfLength(int inRate, int outRate) noexcept {
    int up = 1;
    int down = 1;
    resamplerRatio(inRate, outRate, up, down);
    if (up == down) return 0;
    const bool hostIsOutput = inRate == constants::kSampleRate && outRate != constants::kSampleRate;
    const int r = hostIsOutput ? down : up;
    const int span = constants::kResamplerZeroCrossings * std::max(up, down);
    return (span + r - 1) / r * r;
}

double besselI0(double x) noexcept {
    const double quarterSq = (x / 2.0) * (x / 2.0);
    double term = 1.0;
    double total = 1.0;
    for (int k = 1;; ++k) {
        term *= quarterSq / static_cast<double>(k * k);
        total += term;
        if (term < 1e-20 * total) return total;
    }
}

std::vector<float> designResamplerTaps(int inRate, int outRate) {
    int up = 1;
    int down = 1;
    resamplerRatio(inRate, outRate, up, down);
    if (up == down) return {1.0f};
    const int half = resamplerHalfLength(inRate, outRate);
    const double fc = 0.5 * constants::kResamplerRolloff / std::max(up, down);
    const double i0Beta = besselI0(constants::kResamplerKaiserBeta);
    std::vector<float> taps(static_cast<std::size_t>(2 * half + 1));
    for (int n = 0; n <= 2 * half; ++n) {
        const double offset = static_cast<double>(n - half);
        const double arg = 2.0 * fc * offset;
        const double sinc = n == half ? 1.0 : std::sin(kPi * arg) / (kPi * arg);
        const double ratioSq = (offset / half) * (offset / half);
        const double kaiser = besselI0(constants::kResamplerKaiserBeta * std::sqrt(std::max(0.0, 1.0 - ratioSq))) / i0Beta;
        taps[static_cast<std::size_t>(n)] = static_cast<float>(up * 2.0 * fc * sinc * kaiser);
    }
    return taps;
}

std::string PolyphaseResampler::prepare(int inRate, int outRate, int maxInput) {
    if (inRate <= 0 || outRate <= 0) {
        return "resampler: rates must be positive, got " + std::to_string(inRate) + " -> " + std::to_string(outRate);
    }
    if (maxInput < 1) return "resampler: maxInput must be >= 1, got " + std::to_string(maxInput);
    int up = 1;
    int down = 1;
    resamplerRatio(inRate, outRate, up, down);
    if (up > kMaxResamplerFactor || down > kMaxResamplerFactor) {
        return "resampler: unsupported ratio " + std::to_string(inRate) + " -> " + std::to_string(outRate) + " Hz (" +
               std::to_string(up) + "/" + std::to_string(down) + "; factors above " +
               std::to_string(kMaxResamplerFactor) + " are not supported)";
    }
    up_ = up;
    down_ = down;
    maxInput_ = maxInput;
    taps_ = designResamplerTaps(inRate, outRate);
    const int half = resamplerHalfLength(inRate, outRate);
    const bool hostIsOutput = inRate == constants::kSampleRate && outRate != constants::kSampleRate;
    hostDelay_ = up == down ? 0 : half / (hostIsOutput ? down : up);
    // One output reads at most ceil(N / up) inputs ending at the newest one.
    historyLength_ = (static_cast<int>(taps_.size()) + up - 1) / up;
    buffer_.assign(static_cast<std::size_t>(historyLength_ + maxInput), 0.0f);
    reset();
    return "";
}

int PolyphaseResampler::maxOutput(int n) const noexcept {
    if (n <= 0) return 0;
    const std::int64_t bound = (static_cast<std::int64_t>(n) * up_ + down_ - 1) / down_ + 1;
    return static_cast<int>(bound);
}

void PolyphaseResampler::reset() noexcept TMRVC_REALTIME {
    std::fill(buffer_.begin(), buffer_.end(), 0.0f);
    nextInput_ = 0;
    nextPhase_ = 0;
}

int PolyphaseResampler::process(const float* in, int n, float* out) noexcept TMRVC_REALTIME {
    n = std::clamp(n, 0, maxInput_);
    if (isIdentity()) {
        std::copy(in, in + n, out);
        return n;
    }
    std::copy(in, in + n, buffer_.begin() + historyLength_);
    const int tapCount = static_cast<int>(taps_.size());
    const float* h = taps_.data();
    int written = 0;
    // nextInput_ counts from the first sample of this block; the output exists once that input has arrived.
    while (nextInput_ < n) {
        const float* newest = buffer_.data() + historyLength_ + nextInput_;
        double sum = 0.0;
        int j = 0;
        for (int tap = nextPhase_; tap < tapCount; tap += up_, ++j) {
            sum += static_cast<double>(h[tap]) * static_cast<double>(newest[-j]);
        }
        out[written++] = static_cast<float>(sum);
        nextPhase_ += down_;
        nextInput_ += nextPhase_ / up_;
        nextPhase_ %= up_;
    }
    nextInput_ -= n;
    // Keep the newest historyLength_ samples (oldest first) for the next block.
    std::copy(buffer_.begin() + n, buffer_.begin() + n + historyLength_, buffer_.begin());
    return written;
}

}  // namespace tmrvc
