// StreamingEngine: the orchestrator the plugin, the CLI and the Python module all drive.
// Timeline, latency and DSP definitions: docs/dsp-and-streaming.md.
//
// Threads: process() runs on the host's audio thread and never allocates, locks, logs, throws or waits (except in
// non-real-time rendering, where waiting for inference is the point). Inference (resampling, analysis, the ONNX
// models, synthesis) runs on the engine's own inference thread, fed and drained through lock-free FIFOs; the one
// host block of buffering this adds is part of latencySamples(). Model and speaker loading run on the caller's
// thread (load*) or on the engine's loader thread (load*Async); results are swapped in atomically and
// cross-faded over 100 ms.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace tmrvc {

struct EngineStats {
    double lastHopMs = 0.0;
    double avgHopMs = 0.0;   // over the last 100 hops
    double maxHopMs = 0.0;
    double p99HopMs = 0.0;   // over the last 100 hops
    std::uint64_t hops = 0;
    std::uint64_t overruns = 0;       // hops slower than the hop duration
    std::uint64_t underruns = 0;      // host samples the inference thread delivered too late (replaced by dry)
    std::uint64_t nanFrames = 0;      // hops whose model output was non-finite (previous frame re-used)
    std::uint64_t droppedInput = 0;   // host samples the input FIFO could not take
    float effectiveQuality = 0.0f;    // q after the overload policy
    bool overloadBypass = false;      // the overload policy switched to dry bypass
    int irInterval = 0;               // acoustic estimator interval in hops
    int lookaheadHops = 0;            // lookahead of the active profile (follows the user's q)
    bool hqConverter = false;         // the active profile runs converter_hq.onnx
};

class StreamingEngine {
public:
    StreamingEngine();
    ~StreamingEngine();
    StreamingEngine(const StreamingEngine&) = delete;
    StreamingEngine& operator=(const StreamingEngine&) = delete;

    // Loads and validates a model folder (five ONNX files, metadata.json, constants hash). On failure the
    // models already loaded stay active and the returned string says what is wrong; "" means success.
    // A loaded speaker is re-applied to the new models when it fits them, else dropped (status says so).
    std::string loadModels(const std::string& modelDir, bool int8 = false);
    // Loads a .tmrvc_speaker v2 file for the loaded models. "" on success, else the reason (speaker kept).
    std::string loadSpeaker(const std::string& speakerPath, bool allowModelIdMismatch = false);
    // The same on the engine's loader thread; the outcome shows in status() and lastError().
    void loadModelsAsync(const std::string& modelDir, bool int8 = false);
    void loadSpeakerAsync(const std::string& speakerPath, bool allowModelIdMismatch = false);
    bool loading() const noexcept;
    // Waits until no asynchronous load is pending (tests, offline tools), then frees retired model sets.
    void waitForLoads();

    // Analysis–resynthesis self-test: no models, vocoder replaced by the input's own STFT.
    void setIdentityMode(bool on);

    // Allocates everything for this host rate and maximum block size and starts the inference thread; resets
    // all state. Returns "" on success, else why the rate/block is unsupported.
    std::string prepare(double hostSampleRate, int maxBlockSize);
    // Mono in, mono out; in and out may alias. Blocks larger than maxBlockSize are split.
    void process(const float* in, float* out, int n) noexcept;
    // Clears all audio state and restarts the inference thread: call it where prepare() may be called (not on the
    // audio thread while process() runs).
    void reset() noexcept;
    // Offline rendering (a DAW bounce, the CLI, tests): process() waits for inference, so output is complete
    // and deterministic; it equals real-time output whenever real time had no underrun.
    void setNonRealtime(bool offline) noexcept;

    // At the prepared host rate; 0 before prepare(). Follows q at once (lookahead hops = round(6 q)).
    int latencySamples() const noexcept;
    double sampleRate() const noexcept;

    // Parameters (any thread).
    void setPitchShiftSemitones(float semitones) noexcept;
    void setAutoPitchMatch(bool on) noexcept;
    // Output level follows the input's (default on; docs/dsp-and-streaming.md, "Level match").
    void setLevelMatch(bool on) noexcept;
    // Silence/noise gate threshold in dBFS (hop RMS of the input); ≤ constants::kGateOffDbfs turns it off (default).
    void setGateThresholdDb(float db) noexcept;
    // Spectral-envelope (formant) shift of the converted voice in semitones, ±kFormantMaxSemitones; pitch unchanged.
    void setFormantShiftSemitones(float semitones) noexcept;
    void setVoicePresetAmount(float amount) noexcept;  // 0..1
    void setAcousticManual(bool manual, float rt60Seconds, float drrDb, float tiltDbPerOctave) noexcept;
    void setQuality(float q) noexcept;                 // latency–quality knob, 0..1
    void setDryWet(float wet) noexcept;                // 0 = dry (latency-aligned), 1 = wet
    void setOutputGainDb(float db) noexcept;
    void setBypass(bool on) noexcept;                  // latency-aligned dry, cross-faded
    // Synthesise with the vocoder's own phase output instead of the phase reconstructed from its magnitude
    // (the default; docs/dsp-and-streaming.md, "Phase reconstruction").
    void setVocoderPhase(bool on) noexcept;

    bool modelsLoaded() const noexcept;
    bool speakerLoaded() const noexcept;
    std::string speakerName() const;
    bool speakerBankActive() const;  // the loaded speaker's bank drives the converter's envelopes
    std::string status() const;     // one line: what the engine is doing or why it passes dry
    std::string lastError() const;  // the last load error ("" if the last load succeeded)
    EngineStats stats() const noexcept;
    double cpuLoad() const noexcept;  // average hop compute time / hop duration

    // Test hook: extra compute time per converted hop on the inference thread (simulates a slow machine).
    void setInjectedHopDelayMs(double ms) noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tmrvc
