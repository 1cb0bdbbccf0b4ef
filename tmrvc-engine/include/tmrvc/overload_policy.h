// OverloadPolicy: what the engine does when a hop's compute does not fit the hop (docs: architecture.md,
// "Latency–quality knob"). 3 overruns in a row: q cap −0.2 and the acoustic estimator pauses; 10 in a row: q = 0
// and latency-aligned dry bypass. Recovery, one step per second of good hops: while bypassed, retry the models
// after a second; otherwise, once the average hop time over the last second is under 80 % of the hop, resume the
// estimator, then raise the q cap by 0.2 per step.
#pragma once

namespace tmrvc {

class OverloadPolicy {
public:
    static constexpr int kDegradeAfter = 3;
    static constexpr int kBypassAfter = 10;
    static constexpr int kRecoveryHops = 100;
    static constexpr double kRecoveryLoad = 0.8;
    static constexpr float kStep = 0.2f;

    void reset() noexcept;
    // A converted hop took `ms`; avgMs is the average over the last 100 converted hops.
    void onConvertedHop(double ms, double avgMs, double budgetMs) noexcept;
    // A hop passed while bypassed by this policy.
    void onBypassedHop() noexcept;

    float qCap() const noexcept { return qCap_; }
    bool pauseEstimator() const noexcept { return pauseEstimator_; }
    bool bypass() const noexcept { return bypass_; }

private:
    float qCap_ = 1.0f;
    bool pauseEstimator_ = false;
    bool bypass_ = false;
    int overrunsInRow_ = 0;
    int goodHops_ = 0;
};

}  // namespace tmrvc
