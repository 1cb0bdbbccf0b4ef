#include "tmrvc/stream_timing.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "tmrvc/constants.h"
#include "tmrvc/polyphase_resampler.h"

namespace tmrvc {

namespace {

std::int64_t ceilDiv(std::int64_t a, std::int64_t b) { return (a + b - 1) / b; }

}  // namespace

StreamCounts streamCounts(std::int64_t n, int hostRate) noexcept {
    int downUp = 1;
    int downDown = 1;
    int upUp = 1;
    int upDown = 1;
    resamplerRatio(hostRate, constants::kSampleRate, downUp, downDown);
    resamplerRatio(constants::kSampleRate, hostRate, upUp, upDown);
    StreamCounts counts;
    counts.in24 = ceilDiv(n * downUp, downDown);
    counts.out24 = constants::kHopLength * (counts.in24 / constants::kHopLength);
    counts.hostOut = ceilDiv(counts.out24 * upUp, upDown);
    return counts;
}

std::string computeStreamTiming(int hostRate, StreamTiming& out) {
    if (hostRate <= 0) return "host sample rate must be positive, got " + std::to_string(hostRate);
    int up = 1;
    int down = 1;
    resamplerRatio(hostRate, constants::kSampleRate, up, down);
    if (up > kMaxResamplerFactor || down > kMaxResamplerFactor) {
        return "host sample rate " + std::to_string(hostRate) + " Hz is not supported (ratio to " +
               std::to_string(constants::kSampleRate) + " Hz is " + std::to_string(up) + "/" + std::to_string(down) +
               "; factors above " + std::to_string(kMaxResamplerFactor) + " are not supported)";
    }
    // N - hostOut(N) repeats after down * 240 / gcd(up, 240) host samples.
    const std::int64_t period =
        static_cast<std::int64_t>(down) * constants::kHopLength / std::gcd(up, constants::kHopLength);
    std::int64_t prefill = 0;
    for (std::int64_t n = 1; n <= period; ++n) prefill = std::max(prefill, n - streamCounts(n, hostRate).hostOut);

    StreamTiming timing;
    timing.hostRate = hostRate;
    timing.prefill = static_cast<int>(prefill);
    // round half up, in integers: floor(240 R / 24000 + 1/2)
    timing.hopHost = static_cast<int>((2LL * constants::kHopLength * hostRate + constants::kSampleRate) /
                                      (2LL * constants::kSampleRate));
    const int halfDown = resamplerHalfLength(hostRate, constants::kSampleRate);
    const int halfUp = resamplerHalfLength(constants::kSampleRate, hostRate);
    timing.downDelay = halfDown / up;
    timing.upDelay = halfUp / up;  // r = 24000 / gcd on both sides
    timing.latency = timing.prefill + timing.hopHost + timing.downDelay + timing.upDelay;
    out = timing;
    return "";
}

int lookaheadHops(float q) noexcept {
    const double clamped = std::clamp(static_cast<double>(q), 0.0, 1.0);
    return static_cast<int>(std::floor(constants::kMaxLookaheadHops * clamped + 0.5));
}

int lookaheadHostSamples(int hops, int hostRate) noexcept {
    const std::int64_t num = 2LL * hops * constants::kHopLength * hostRate + constants::kSampleRate;
    return static_cast<int>(num / (2LL * constants::kSampleRate));
}

}  // namespace tmrvc
