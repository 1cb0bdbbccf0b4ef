// InferenceWorker: the engine's inference thread. It drains host-rate input from a lock-free FIFO, resamples to
// 24 kHz, runs one HopProcessor per 240 samples (two during a cross-fade), resamples back and fills the output
// FIFO. Model sets arrive through an atomic pointer and leave through a retire FIFO, so neither the audio thread
// nor this thread frees a set (the control side does, in collectRetired()).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "tmrvc/cross_fader.h"
#include "tmrvc/hop_processor.h"
#include "tmrvc/overload_policy.h"
#include "tmrvc/polyphase_resampler.h"
#include "tmrvc/spsc_queue.h"
#include "tmrvc/wake_signal.h"

namespace tmrvc {

// Parameters written by any thread, read by the worker once per hop.
struct WorkerParams {
    std::atomic<bool> identity{false};
    std::atomic<bool> bypass{false};
    std::atomic<float> quality{0.0f};
    std::atomic<float> pitchSemitones{0.0f};
    std::atomic<bool> autoPitch{false};
    std::atomic<bool> levelMatch{true};
    std::atomic<float> gateDb{static_cast<float>(constants::kGateOffDbfs)};
    std::atomic<float> formantSemitones{0.0f};
    std::atomic<float> presetAmount{0.0f};
    std::atomic<bool> manualAcoustic{false};
    std::atomic<float> rt60{0.5f}, drrDb{10.0f}, tiltDbPerOct{0.0f};
    std::atomic<double> injectedDelayMs{0.0};
    std::atomic<bool> vocoderPhase{false};  // the vocoder's own phase instead of the reconstructed one
    std::atomic<bool> offline{false};  // non-real-time rendering: no deadline, so no overload policy
};

// Statistics written by the worker.
struct WorkerStats {
    std::atomic<double> lastHopMs{0.0}, avgHopMs{0.0}, maxHopMs{0.0}, p99HopMs{0.0};
    std::atomic<std::uint64_t> hops{0}, overruns{0}, nanFrames{0}, droppedOutput{0};
    std::atomic<float> effectiveQuality{0.0f};
    std::atomic<bool> overloadBypass{false};
    std::atomic<int> irInterval{0};
    std::atomic<int> lookahead{0};      // hops of the active lane
    std::atomic<bool> hqConverter{false};  // the active lane runs converter_hq.onnx
};

class InferenceWorker {
public:
    InferenceWorker();
    ~InferenceWorker();

    // Sizes every buffer for this host rate and block size (not real-time). The worker must be stopped.
    // dryDelay: host samples by which the synthesis path delays its input (resamplers + one hop); plain bypass
    // writes the exact host input delayed by this much instead of its band-limited resampled version.
    std::string prepare(int hostRate, int maxBlock, int dryDelay, SpscQueue<float>* input, SpscQueue<float>* output);
    void start();
    void stop();
    void reset() noexcept;  // worker stopped: clear resamplers, lanes and counters

    // Audio thread: new input is in the FIFO.
    void notify() noexcept { wake_.notify(); }
    // Host input samples the worker has fully processed (for non-real-time waiting).
    std::uint64_t processedInput() const noexcept { return processed_.load(std::memory_order_acquire); }
    bool waitProcessed(int timeoutMs) noexcept { return done_.waitFor(timeoutMs); }

    // Control side: publish a model set (the worker adopts it at the next hop); frees sets the worker retired.
    void publish(ModelSet* set);
    void collectRetired();
    // Control side, worker stopped: drop every set (destruction, re-prepare keeps the adopted one).
    void releaseAll();

    WorkerParams params;
    WorkerStats stats;

private:
    struct Lane {
        HopProcessor hop;
        HopMode mode = HopMode::Bypass;
        ModelSet* set = nullptr;
    };

    void run();
    void drainInput() noexcept;
    void processHop(const float* in, float* out) noexcept;
    void writeExactDry(float* out, int n) noexcept;
    void adoptPending() noexcept;
    void switchProfile(HopMode mode, ModelSet* set, const HopProfile& profile, bool fade) noexcept;
    HopProfile profileFor(HopMode mode, const ModelSet* set, float effectiveQ) const noexcept;
    void retireIfUnused(ModelSet* set) noexcept;
    HopControls controls() noexcept;
    void recordHopTime(double ms) noexcept;
    int irIntervalFor(float q) const noexcept;

    SpscQueue<float>* input_ = nullptr;
    SpscQueue<float>* output_ = nullptr;
    PolyphaseResampler down_, up_;
    int maxBlock_ = 0;
    std::vector<float> hostIn_, in24_, out24_, hostOut_;
    std::array<float, constants::kHopLength> hopIn_{}, laneA_{}, laneB_{};
    int hopFill_ = 0;
    int dryDelay_ = 0;                 // at lookahead 0
    int hostRate_ = 0;
    std::vector<float> dryHistory_;    // host input, circular, indexed by absolute sample number
    std::int64_t dryWritten_ = 0;      // host input samples written to dryHistory_
    std::int64_t hostProduced_ = 0;    // host output samples produced
    bool steadyBypass_ = true;         // the last hop was plain bypass with no fade in flight

    Lane lanes_[2];
    int current_ = 0;  // index of the active lane; the other one fades out
    CrossFader fader_;
    ModelSet* adopted_ = nullptr;  // the newest set published and taken
    std::atomic<ModelSet*> pending_{nullptr};
    SpscQueue<ModelSet*> retired_;
    ModelSet* retireBacklog_[8] = {};
    OverloadPolicy policy_;
    int currentIrInterval_ = constants::kIrUpdateInterval;
    bool fresh_ = true;  // no hop since reset()

    std::array<double, 100> hopMs_{};
    int hopMsIndex_ = 0;

    std::atomic<bool> running_{false};
    std::atomic<std::uint64_t> processed_{0};
    WakeSignal wake_, done_;
    std::thread thread_;
};

}  // namespace tmrvc
