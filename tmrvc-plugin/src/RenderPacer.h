// RenderPacer: decides, per host block, whether the engine waits for inference (engine.setNonRealtime).
//
// A real-time host calls processBlock() at the pace of the audio clock: a late hop must be replaced, never
// waited for. An offline render (a DAW bounce, pedalboard, DawDreamer) calls it as fast as it can: the engine
// must wait, or nearly every hop arrives late. Hosts are meant to say which through JUCE's isNonRealtime(),
// but some do not; so the plugin also watches the pace of the calls (JUCE-free, testable with a fake clock):
//   * credit = how far the host is ahead of the wall clock: every block adds its duration, wall time drains it
//     (with a 0.1 % leak so audio/system clock drift cannot build credit). A real-time host holds it near one
//     block; a faster-than-real-time host builds it up.
//   * Probe (after prepare/reset): wait. Output is complete from the first block whatever the host; a real-time
//     host waits only if a hop is late, which at start means the machine is overloaded anyway. Probe ends
//     once kProbeSeconds of wall time have passed with a credit a real-time host can have (at most two blocks
//     + 20 ms) -> Realtime, or when credit reaches the detection threshold -> Offline.
//   * Realtime (do not wait) while credit stays below max(kDetectSeconds, 8 blocks);
//   * Offline (wait) once credit exceeds it, latched until the next prepare/reset (hosts prepare or reset
//     around a bounce; waiting in a correctly paced real-time host costs nothing unless it is overloaded).
//   * The host's own flag, when set, always means wait.
#pragma once

#include <atomic>

namespace tmrvc::plugin {

class RenderPacer {
public:
    enum class Mode { Probe, Realtime, Offline };
    static constexpr double kProbeSeconds = 0.1;
    static constexpr double kDetectSeconds = 0.25;
    static constexpr double kClockLeak = 0.001;

    void prepare(double sampleRate, int maxBlockSize) noexcept;
    void reset() noexcept;

    // Called at the start of each host block with a monotonic wall clock in seconds.
    // Returns true when the engine should wait for inference during this block.
    bool beginBlock(int numSamples, double nowSeconds, bool hostNonRealtime) noexcept;

    Mode mode() const noexcept { return mode_.load(std::memory_order_relaxed); }  // any thread
    double creditSeconds() const noexcept { return credit_; }                       // audio thread

private:
    double sampleRate_ = 48000.0;
    double detectSeconds_ = kDetectSeconds;
    double realtimeCreditSeconds_ = 0.0;
    double credit_ = 0.0;
    double firstNow_ = 0.0;
    double lastNow_ = 0.0;
    bool started_ = false;
    std::atomic<Mode> mode_{Mode::Probe};
};

}  // namespace tmrvc::plugin
