#include "RenderPacer.h"

#include <algorithm>

namespace tmrvc::plugin {

void RenderPacer::prepare(double sampleRate, int maxBlockSize) noexcept {
    sampleRate_ = sampleRate > 0.0 ? sampleRate : 48000.0;
    const double block = std::max(1, maxBlockSize) / sampleRate_;
    detectSeconds_ = std::max(kDetectSeconds, 8.0 * block);
    realtimeCreditSeconds_ = 2.0 * block + 0.02;
    reset();
}

void RenderPacer::reset() noexcept {
    credit_ = 0.0;
    firstNow_ = 0.0;
    lastNow_ = 0.0;
    started_ = false;
    mode_.store(Mode::Probe, std::memory_order_relaxed);
}

bool RenderPacer::beginBlock(int numSamples, double nowSeconds, bool hostNonRealtime) noexcept {
    if (!started_) {
        started_ = true;
        firstNow_ = nowSeconds;
        lastNow_ = nowSeconds;
    }
    const double elapsed = std::max(0.0, nowSeconds - lastNow_);
    lastNow_ = nowSeconds;
    credit_ = std::max(0.0, credit_ - elapsed * (1.0 + kClockLeak)) + std::max(0, numSamples) / sampleRate_;
    Mode mode = mode_.load(std::memory_order_relaxed);
    if (mode != Mode::Offline && credit_ > detectSeconds_) {
        mode = Mode::Offline;
    } else if (mode == Mode::Probe && nowSeconds - firstNow_ >= kProbeSeconds && credit_ <= realtimeCreditSeconds_) {
        mode = Mode::Realtime;
    }
    mode_.store(mode, std::memory_order_relaxed);
    return hostNonRealtime || mode != Mode::Realtime;
}

}  // namespace tmrvc::plugin
