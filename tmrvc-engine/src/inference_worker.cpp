#include "tmrvc/inference_worker.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "tmrvc/stream_timing.h"

namespace tmrvc {
namespace c = constants;

namespace {

constexpr int kWakeTimeoutMs = 20;
constexpr double kHopBudgetMs = 1000.0 * c::kHopLength / c::kSampleRate;

}  // namespace

InferenceWorker::InferenceWorker() { retired_.prepare(64); }

InferenceWorker::~InferenceWorker() {
    stop();
    releaseAll();
}

std::string InferenceWorker::prepare(int hostRate, int maxBlock, int dryDelay, SpscQueue<float>* input,
                                    SpscQueue<float>* output) {
    std::string err = down_.prepare(hostRate, c::kSampleRate, maxBlock);
    if (!err.empty()) return err;
    const int max24 = down_.maxOutput(maxBlock);
    const int maxProduced = (max24 / c::kHopLength + 2) * c::kHopLength;
    err = up_.prepare(c::kSampleRate, hostRate, maxProduced);
    if (!err.empty()) return err;
    input_ = input;
    output_ = output;
    maxBlock_ = maxBlock;
    hostIn_.assign(static_cast<std::size_t>(maxBlock), 0.0f);
    in24_.assign(static_cast<std::size_t>(max24), 0.0f);
    out24_.assign(static_cast<std::size_t>(maxProduced), 0.0f);
    hostOut_.assign(static_cast<std::size_t>(up_.maxOutput(maxProduced)), 0.0f);
    dryDelay_ = dryDelay;
    hostRate_ = hostRate;
    const int maxDelay = dryDelay + lookaheadHostSamples(c::kMaxLookaheadHops, hostRate);
    dryHistory_.assign(static_cast<std::size_t>(maxDelay + 4 * maxBlock + 4 * (hostOut_.size() + 1)), 0.0f);
    reset();
    return "";
}

void InferenceWorker::reset() noexcept {
    down_.reset();
    up_.reset();
    hopFill_ = 0;
    dryWritten_ = 0;
    hostProduced_ = 0;
    steadyBypass_ = true;
    for (Lane& lane : lanes_) lane.hop.reset();
    fader_ = CrossFader();
    if (lanes_[current_].set != nullptr) lanes_[current_].set->resetStates();
    policy_.reset();
    fresh_ = true;
    processed_.store(0);
    hopMs_.fill(0.0);
    hopMsIndex_ = 0;
}

void InferenceWorker::start() {
    if (running_.exchange(true)) return;
    thread_ = std::thread([this] { run(); });
}

void InferenceWorker::stop() {
    if (!running_.exchange(false)) return;
    wake_.notify();
    if (thread_.joinable()) thread_.join();
}

void InferenceWorker::run() {
    while (running_.load(std::memory_order_acquire)) {
        wake_.waitFor(kWakeTimeoutMs);
        drainInput();
    }
}

void InferenceWorker::drainInput() noexcept {
    for (;;) {
        const int n = input_->pop(hostIn_.data(), maxBlock_);
        if (n == 0) return;
        const auto cap = static_cast<std::int64_t>(dryHistory_.size());
        for (int i = 0; i < n; ++i) dryHistory_[static_cast<std::size_t>((dryWritten_ + i) % cap)] = hostIn_[static_cast<std::size_t>(i)];
        dryWritten_ += n;
        const bool bypassBefore = steadyBypass_;
        const int n24 = down_.process(hostIn_.data(), n, in24_.data());
        int produced = 0;
        for (int i = 0; i < n24;) {
            const int take = std::min(n24 - i, c::kHopLength - hopFill_);
            std::copy_n(in24_.data() + i, take, hopIn_.data() + hopFill_);
            hopFill_ += take;
            i += take;
            if (hopFill_ < c::kHopLength) break;
            hopFill_ = 0;
            processHop(hopIn_.data(), out24_.data() + produced);
            produced += c::kHopLength;
        }
        const int nHost = up_.process(out24_.data(), produced, hostOut_.data());
        if (bypassBefore && steadyBypass_) writeExactDry(hostOut_.data(), nHost);
        hostProduced_ += nHost;
        const int pushed = output_->push(hostOut_.data(), nHost);
        if (pushed < nHost) stats.droppedOutput.fetch_add(static_cast<std::uint64_t>(nHost - pushed));
        processed_.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_release);
        done_.notify();
    }
}

HopControls InferenceWorker::controls() noexcept {
    HopControls h;
    h.pitchSemitones = params.pitchSemitones.load();
    h.autoPitchMatch = params.autoPitch.load();
    h.levelMatch = params.levelMatch.load();
    h.gateDb = params.gateDb.load();
    h.formantSemitones = params.formantSemitones.load();
    h.presetAmount = params.presetAmount.load();
    h.manualAcoustic = params.manualAcoustic.load();
    h.rt60 = params.rt60.load();
    h.drrDb = params.drrDb.load();
    h.tiltDbPerOct = params.tiltDbPerOct.load();
    h.pauseEstimator = policy_.pauseEstimator();
    h.vocoderPhase = params.vocoderPhase.load();
    const float q = std::min(std::clamp(params.quality.load(), 0.0f, 1.0f), policy_.qCap());
    stats.effectiveQuality.store(q);
    h.f0Window = c::kF0WindowLength +
                 static_cast<int>(std::lround((c::kF0WindowMaxLength - c::kF0WindowLength) * static_cast<double>(q)));
    return h;
}

HopProfile InferenceWorker::profileFor(HopMode mode, const ModelSet* set, float effectiveQ) const noexcept {
    // The lookahead follows the user's q only, so the host's delay compensation stays valid when the overload
    // policy lowers the effective q; that one only decides whether the (costlier) HQ converter runs.
    HopProfile p;
    p.lookahead = lookaheadHops(params.quality.load());
    p.hq = mode == HopMode::Convert && set != nullptr && set->hasConverterHq() && p.lookahead > 0 &&
           lookaheadHops(effectiveQ) > 0;
    return p;
}

int InferenceWorker::irIntervalFor(float q) const noexcept {
    // q = 0 → the full interval; q = 1 → the shortest (more frequent room/voice-source updates).
    const double n = c::kIrUpdateInterval + (c::kIrMinInterval - c::kIrUpdateInterval) * static_cast<double>(q);
    return static_cast<int>(std::lround(n));
}

void InferenceWorker::processHop(const float* in, float* out) noexcept {
    adoptPending();
    HopMode mode = HopMode::Bypass;
    ModelSet* set = adopted_;
    if (params.identity.load()) mode = HopMode::Identity;
    else if (!params.bypass.load() && !policy_.bypass() && set != nullptr && set->hasSpeaker) mode = HopMode::Convert;
    if (mode != HopMode::Convert) set = nullptr;
    const HopControls ctl = controls();
    const HopProfile profile = profileFor(mode, set, stats.effectiveQuality.load());
    Lane* cur = &lanes_[current_];
    if (mode != cur->mode || set != cur->set || profile != cur->hop.profile()) {
        switchProfile(mode, set, profile, !fresh_);  // the first hop of a stream starts in its profile, no fade
        cur = &lanes_[current_];
    }
    fresh_ = false;
    stats.lookahead.store(cur->hop.profile().lookahead);
    stats.hqConverter.store(cur->hop.profile().hq);
    const int interval = irIntervalFor(stats.effectiveQuality.load());
    if (cur->set != nullptr && interval != currentIrInterval_) {
        // Re-binding reallocates the estimator's tensors: fine here, never on the audio thread.
        if (cur->set->bundle->irEstimator().setDynamicLength(interval).empty()) currentIrInterval_ = interval;
    }
    stats.irInterval.store(currentIrInterval_);

    const auto t0 = std::chrono::steady_clock::now();
    if (!cur->hop.process(in, laneA_.data(), cur->mode, cur->set, ctl)) stats.nanFrames.fetch_add(1);
    Lane& other = lanes_[1 - current_];
    if (fader_.active()) {
        if (!other.hop.process(in, laneB_.data(), other.mode, other.set, ctl)) stats.nanFrames.fetch_add(1);
        fader_.mix(laneB_.data(), laneA_.data(), out, c::kHopLength);
        if (!fader_.active()) {
            ModelSet* old = other.set;
            other.set = nullptr;
            other.mode = HopMode::Bypass;
            retireIfUnused(old);
        }
    } else {
        other.hop.analyzeOnly(in);
        std::copy(laneA_.begin(), laneA_.end(), out);
    }
    const double extra = params.injectedDelayMs.load();
    if (extra > 0.0 && cur->mode == HopMode::Convert)
        std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(extra));
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
    const bool realtime = !params.offline.load();  // offline output must not depend on the machine's load
    if (cur->mode == HopMode::Convert) {
        recordHopTime(ms);
        if (realtime) policy_.onConvertedHop(ms, stats.avgHopMs.load(), kHopBudgetMs);
    } else if (realtime) {
        policy_.onBypassedHop();
    }
    stats.overloadBypass.store(policy_.bypass());
    steadyBypass_ = cur->mode == HopMode::Bypass && !fader_.active();
}

void InferenceWorker::writeExactDry(float* out, int n) noexcept {
    const auto cap = static_cast<std::int64_t>(dryHistory_.size());
    const int delay = dryDelay_ + lookaheadHostSamples(lanes_[current_].hop.profile().lookahead, hostRate_);
    for (int i = 0; i < n; ++i) {
        const std::int64_t k = hostProduced_ + i - delay;
        out[i] = k >= 0 ? dryHistory_[static_cast<std::size_t>(k % cap)] : 0.0f;
    }
}

void InferenceWorker::switchProfile(HopMode mode, ModelSet* set, const HopProfile& profile, bool fade) noexcept {
    Lane& leaving = lanes_[current_];
    Lane& next = lanes_[1 - current_];
    if (fader_.active() && next.set != nullptr && next.set != set) {
        // A switch during a fade: the lane still fading out is dropped at once.
        ModelSet* dropped = next.set;
        next.set = nullptr;
        retireIfUnused(dropped);
    }
    next.mode = mode;
    next.set = set;
    next.hop.restartSynthesis(profile);
    if (set != nullptr) {
        set->resetStates();
        currentIrInterval_ = static_cast<int>(set->bundle->irEstimator().dynamicLength());
    }
    current_ = 1 - current_;
    if (fade && leaving.set != nullptr && leaving.set == set) {
        // A profile change that keeps the models (q moved): both lanes would run the same sessions and mix their
        // states, so the old profile fades out as its own latency-aligned dry signal instead.
        leaving.mode = HopMode::Bypass;
        leaving.set = nullptr;
    }
    if (fade) {
        fader_.start(c::kCrossfadeFrames * c::kHopLength);
    } else {
        fader_ = CrossFader();
        ModelSet* old = leaving.set;
        leaving.set = nullptr;
        leaving.mode = HopMode::Bypass;
        retireIfUnused(old);
    }
}

void InferenceWorker::adoptPending() noexcept {
    if (pending_.load(std::memory_order_acquire) == nullptr) return;
    ModelSet* next = pending_.exchange(nullptr, std::memory_order_acq_rel);
    if (next == nullptr) return;
    ModelSet* old = adopted_;
    adopted_ = next;
    retireIfUnused(old);
}

void InferenceWorker::retireIfUnused(ModelSet* set) noexcept {
    if (set != nullptr && set != adopted_ && set != lanes_[0].set && set != lanes_[1].set) {
        for (ModelSet*& slot : retireBacklog_) {
            if (slot == nullptr) {
                slot = set;
                break;
            }
        }
    }
    for (ModelSet*& slot : retireBacklog_) {
        if (slot != nullptr && retired_.tryPush(slot)) slot = nullptr;
    }
}

void InferenceWorker::recordHopTime(double ms) noexcept {
    hopMs_[static_cast<std::size_t>(hopMsIndex_)] = ms;
    hopMsIndex_ = (hopMsIndex_ + 1) % static_cast<int>(hopMs_.size());
    const std::uint64_t count = stats.hops.fetch_add(1) + 1;
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(count, hopMs_.size()));
    double sum = 0.0;
    std::array<double, 100> sorted{};
    for (std::size_t i = 0; i < n; ++i) {
        sum += hopMs_[i];
        sorted[i] = hopMs_[i];
    }
    const std::size_t k = (n * 99) / 100;
    std::nth_element(sorted.begin(), sorted.begin() + static_cast<long>(std::min(k, n - 1)), sorted.begin() + static_cast<long>(n));
    stats.p99HopMs.store(sorted[std::min(k, n - 1)]);
    stats.lastHopMs.store(ms);
    stats.avgHopMs.store(sum / static_cast<double>(n));
    if (ms > stats.maxHopMs.load()) stats.maxHopMs.store(ms);
    if (ms > kHopBudgetMs) stats.overruns.fetch_add(1);
}

void InferenceWorker::publish(ModelSet* set) {
    collectRetired();
    delete pending_.exchange(set, std::memory_order_acq_rel);  // a set the worker never took
}

void InferenceWorker::collectRetired() {
    ModelSet* set = nullptr;
    while (retired_.tryPop(set)) delete set;
}

void InferenceWorker::releaseAll() {
    collectRetired();
    delete pending_.exchange(nullptr);
    ModelSet* owned[] = {adopted_, lanes_[0].set, lanes_[1].set};
    for (int i = 0; i < 3; ++i) {
        bool seen = false;
        for (int j = 0; j < i; ++j) seen = seen || owned[j] == owned[i];
        if (!seen) delete owned[i];
    }
    for (ModelSet*& slot : retireBacklog_) {
        delete slot;
        slot = nullptr;
    }
    adopted_ = nullptr;
    lanes_[0].set = lanes_[1].set = nullptr;
    lanes_[0].mode = lanes_[1].mode = HopMode::Bypass;
}

}  // namespace tmrvc
