// HopProcessor: everything that happens once per 10 ms hop at 24 kHz — causal analysis (STFT, log-mel, F0),
// the per-frame models (content encoder → converter → vocoder, acoustic estimator every N hops) and the
// iSTFT + overlap-add synthesis. 240 samples in, 240 samples out (docs/dsp-and-streaming.md).
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/ort_session_bundle.h"
#include "tmrvc/pitch_tracker.h"
#include "tmrvc/speaker_file.h"
#include "tmrvc/stft_processor.h"

namespace tmrvc {

// The models one hop runs, built off the audio thread and published as a whole (atomic pointer swap).
struct ModelSet {
    std::shared_ptr<OrtSessionBundle> bundle;  // content encoder, acoustic estimator, vocoder (+ base converter)
    OrtModel speakerConverter;                 // converter with the speaker's LoRA merged into FiLM
    SpeakerProfile speaker;
    bool hasSpeaker = false;

    // Tensor indices looked up once by name (bindIndices), so a hop never compares strings.
    struct Indices {
        int ceMel = -1, ceF0 = -1, ceContent = -1;
        int irChunk = -1, irParams = -1;
        int cvContent = -1, cvSpeaker = -1, cvParams = -1, cvFeatures = -1;
        int vcFeatures = -1, vcMag = -1, vcPhase = -1;
    } idx;

    OrtModel& converter() noexcept { return speakerConverter.loaded() ? speakerConverter : bundle->converter(); }
    // Looks up every tensor index and checks the acoustic estimator's chunk length. "" or what is missing.
    std::string bindIndices();
};

enum class HopMode { Silent, Identity, Convert };

class HopProcessor {
public:
    HopProcessor();

    // Clears every state: analysis history, overlap-add, mel history, acoustic params, hop counter.
    void reset() noexcept;
    // Resets the model states of `models` (start of a stream or after a non-finite output).
    static void resetModelStates(ModelSet& models) noexcept;

    // One hop: in = 240 new samples at 24 kHz; out = 240 synthesised samples. Returns false when a model
    // failed or produced a non-finite value (out is then silence and the model states are reset).
    bool process(const float* in, float* out, HopMode mode, ModelSet* models, float pitchSemitones) noexcept;

    long long hopIndex() const noexcept { return hop_; }
    float lastF0() const noexcept { return lastF0_; }

private:
    bool runModels(ModelSet& models, float f0Input) noexcept;

    StftProcessor stft_;
    PitchTracker pitch_;
    int historyLength_;
    std::vector<float> history_;  // newest samples, oldest first
    std::array<float, constants::kNFreqBins> mag_{}, phase_{};
    std::array<float, constants::kNMels> logMel_{};
    std::vector<float> melHistory_;  // [kNMels, kIrUpdateInterval], channel-major, newest last
    std::array<float, constants::kNAcousticParams> acoustic_{};
    long long hop_ = 0;
    float lastF0_ = 0.0f;
};

}  // namespace tmrvc
