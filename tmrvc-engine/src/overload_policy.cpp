#include "tmrvc/overload_policy.h"

#include <algorithm>

namespace tmrvc {

void OverloadPolicy::reset() noexcept {
    qCap_ = 1.0f;
    pauseEstimator_ = false;
    bypass_ = false;
    overrunsInRow_ = 0;
    goodHops_ = 0;
}

void OverloadPolicy::onConvertedHop(double ms, double avgMs, double budgetMs) noexcept {
    if (ms > budgetMs) {
        ++overrunsInRow_;
        goodHops_ = 0;
        if (overrunsInRow_ >= kBypassAfter) {
            qCap_ = 0.0f;
            bypass_ = true;
            overrunsInRow_ = 0;
        } else if (overrunsInRow_ % kDegradeAfter == 0) {
            qCap_ = std::max(0.0f, qCap_ - kStep);
            pauseEstimator_ = true;
        }
        return;
    }
    overrunsInRow_ = 0;
    if (avgMs >= kRecoveryLoad * budgetMs) {
        goodHops_ = 0;
        return;
    }
    if (++goodHops_ < kRecoveryHops) return;
    goodHops_ = 0;
    if (pauseEstimator_) pauseEstimator_ = false;
    else qCap_ = std::min(1.0f, qCap_ + kStep);
}

void OverloadPolicy::onBypassedHop() noexcept {
    if (!bypass_) return;
    if (++goodHops_ < kRecoveryHops) return;
    goodHops_ = 0;
    bypass_ = false;  // retry the models at q = 0 with the estimator paused
    pauseEstimator_ = true;
}

}  // namespace tmrvc
