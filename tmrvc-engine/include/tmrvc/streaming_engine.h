// StreamingEngine: the orchestrator the plugin, the CLI and the Python module all drive.
// Timeline, latency and DSP definitions: docs/dsp-and-streaming.md.
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
    std::uint64_t hops = 0;
    std::uint64_t overruns = 0;
    std::uint64_t nanFrames = 0;
};

class StreamingEngine {
public:
    StreamingEngine();
    ~StreamingEngine();
    StreamingEngine(const StreamingEngine&) = delete;
    StreamingEngine& operator=(const StreamingEngine&) = delete;

    // Loads and validates a model folder (five ONNX files, metadata.json, constants hash). On failure the
    // models already loaded stay active and the returned string says what is wrong; "" means success.
    std::string loadModels(const std::string& modelDir);
    // Loads a .tmrvc_speaker v2 file for the loaded models. "" on success, else the reason (speaker kept).
    std::string loadSpeaker(const std::string& speakerPath);

    // Analysis–resynthesis self-test: no models, vocoder replaced by the input's own STFT.
    void setIdentityMode(bool on);

    // Allocates everything for this host rate and maximum block size; resets all state.
    // Returns "" on success, else why the rate/block is unsupported.
    std::string prepare(double hostSampleRate, int maxBlockSize);
    // Real-time safe: mono in, mono out, n <= maxBlockSize. in and out may alias.
    void process(const float* in, float* out, int n) noexcept;
    void reset() noexcept;

    int latencySamples() const noexcept;  // at the prepared host rate

    // Parameters (any thread).
    void setPitchShiftSemitones(float semitones) noexcept;
    void setDryWet(float wet) noexcept;       // 0 = dry (latency-aligned), 1 = wet
    void setOutputGainDb(float db) noexcept;

    bool modelsLoaded() const noexcept;
    bool speakerLoaded() const noexcept;
    std::string speakerName() const;
    std::string status() const;  // one line: what the engine is doing or why it passes dry
    EngineStats stats() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tmrvc
