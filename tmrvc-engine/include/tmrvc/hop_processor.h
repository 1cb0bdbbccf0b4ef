// HopProcessor: everything that happens once per 10 ms hop at 24 kHz — causal analysis (STFT, log-mel, F0),
// the per-frame models (content encoder → converter → vocoder, acoustic estimator every N hops) and the
// iSTFT + overlap-add synthesis. 240 samples in, 240 samples out (docs/dsp-and-streaming.md).
// Runs on the engine's inference thread; never on the audio thread (ONNX Runtime allocates inside Run).
#pragma once

#include <array>
#include <memory>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/formant_shifter.h"
#include "tmrvc/level_matcher.h"
#include "tmrvc/noise_gate.h"
#include "tmrvc/ort_session_bundle.h"
#include "tmrvc/phase_reconstructor.h"
#include "tmrvc/pitch_tracker.h"
#include "tmrvc/speaker_file.h"
#include "tmrvc/stft_processor.h"

namespace tmrvc {

// The lookahead profile of one lane (docs/dsp-and-streaming.md, "Lookahead"): the lane outputs frame t - lookahead
// at hop t. hq: the semi-causal converter (converter_hq.onnx) sees content frames u..u+lookahead; otherwise the live
// converter runs on frame u, whose F0 window is centred on it as far as the lookahead allows.
struct HopProfile {
    int lookahead = 0;  // 0..kMaxLookaheadHops
    bool hq = false;
    bool operator==(const HopProfile& o) const noexcept { return lookahead == o.lookahead && hq == o.hq; }
    bool operator!=(const HopProfile& o) const noexcept { return !(*this == o); }
};

// The models one hop runs, built off the audio thread and published as a whole. Each set owns its sessions
// (and so its states), so two sets can run side by side during a cross-fade.
struct ModelSet {
    std::shared_ptr<OrtSessionBundle> bundle;  // content encoder, acoustic estimator, vocoder (+ base converter)
    OrtModel speakerConverter;                 // converter with the speaker's LoRA merged into FiLM
    OrtModel speakerConverterHq;               // the same for converter_hq.onnx, when the folder has one
    SpeakerProfile speaker;
    bool hasSpeaker = false;

    // Tensor indices looked up once by name (bindIndices), so a hop never compares strings.
    struct Indices {
        int ceMel = -1, ceF0 = -1, ceContent = -1;
        int irChunk = -1, irParams = -1;
        int cvContent = -1, cvSpeaker = -1, cvParams = -1, cvFeatures = -1;
        int vcFeatures = -1, vcMag = -1, vcPhase = -1;
        int hqContent = -1, hqSpeaker = -1, hqParams = -1, hqFeatures = -1;  // -1 when there is no HQ converter
    } idx;

    OrtModel& converter() noexcept { return speakerConverter.loaded() ? speakerConverter : bundle->converter(); }
    OrtModel& converterHq() noexcept {
        return speakerConverterHq.loaded() ? speakerConverterHq : bundle->converterHq();
    }
    bool hasConverterHq() const noexcept { return idx.hqFeatures >= 0; }
    // Looks up every tensor index and binds the acoustic estimator's chunk length. "" or what is missing.
    std::string bindIndices(int irInterval = constants::kIrUpdateInterval);
    void resetStates() noexcept;
};

enum class HopMode {
    Bypass,    // the input itself, delayed like the synthesis path (no models)
    Identity,  // analysis–resynthesis self-test: the input's own STFT through iSTFT + overlap-add
    Convert    // the models
};

// Per-hop controls, read by the inference thread from the engine's parameters.
struct HopControls {
    float pitchSemitones = 0.0f;
    bool autoPitchMatch = false;  // add the shift that moves the input's mean log-F0 onto the speaker's
    float presetAmount = 0.0f;    // blend of acoustic params 24..31 toward the speaker's voice-source preset
    bool manualAcoustic = false;  // replace the estimated room params 0..23 with the manual values below
    float rt60 = 0.5f, drrDb = 10.0f, tiltDbPerOct = 0.0f;
    bool pauseEstimator = false;  // keep the last acoustic params (CPU overload policy)
    int f0Window = constants::kF0WindowLength;  // YIN window in samples (the q knob lengthens it)
    bool vocoderPhase = false;  // synthesise with the vocoder's own phase instead of the reconstructed one
    bool levelMatch = true;     // scale the converted frame so the output's level follows the input's
    float gateDb = static_cast<float>(constants::kGateOffDbfs);  // gate threshold (dBFS); ≤ kGateOffDbfs: off
    float formantSemitones = 0.0f;  // spectral-envelope shift of the converted frame, ±kFormantMaxSemitones
};

class HopProcessor {
public:
    HopProcessor();

    // Clears every state: analysis history, overlap-add, mel history, acoustic params, hop counter.
    void reset() noexcept;
    // Starts a new synthesis run (after a profile switch) with this lookahead profile: clears the overlap-add, the
    // acoustic params and the content window, keeps the analysis history so the first frames see real past input.
    void restartSynthesis(const HopProfile& profile = {}) noexcept;
    const HopProfile& profile() const noexcept { return profile_; }

    // One hop: in = 240 new samples at 24 kHz; out = 240 samples. Returns false when a model failed or produced
    // a non-finite value: the previous frame's spectrum is then re-synthesised and the model states are reset.
    bool process(const float* in, float* out, HopMode mode, ModelSet* models, const HopControls& controls) noexcept;
    // Keeps the analysis history current without synthesising (the idle lane of a cross-fade).
    void analyzeOnly(const float* in) noexcept;

    long long hopIndex() const noexcept { return hop_; }
    float lastF0() const noexcept { return lastF0_; }
    float autoPitchSemitones(const ModelSet& models) const noexcept;

    // Samples the history must hold: the analysis window, the lookahead and the longest F0 window behind it.
    static constexpr int kHistoryLength =
        constants::kWindowLength / 2 + constants::kMaxLookaheadHops * constants::kHopLength + constants::kF0WindowMaxLength;
    static constexpr int kRing = constants::kMaxLookaheadHops + 1;  // analysed frames kept for the lookahead

private:
    static int slot(long long frame) noexcept { return static_cast<int>(((frame % kRing) + kRing) % kRing); }
    // How far back in history_ the hop the synthesis plays now starts: one hop + the lookahead, plus this hop.
    int synthesisDelay() const noexcept { return (2 + profile_.lookahead) * constants::kHopLength; }
    void pushInput(const float* in) noexcept;
    float estimateF0(long long frame, int window) noexcept;
    bool runModels(ModelSet& models, float f0Input, const HopControls& controls, long long frame) noexcept;
    bool runConverter(ModelSet& m, const float* content) noexcept;
    void applyAcousticControls(const ModelSet& models, const HopControls& controls) noexcept;
    void trackInputPitch() noexcept;

    StftProcessor stft_;
    PitchTracker pitch_;
    PhaseReconstructor phaseReconstructor_;
    LevelMatcher levelMatcher_;
    NoiseGate gate_;
    FormantShifter formant_;
    HopProfile profile_;
    std::vector<float> history_;  // newest kHistoryLength samples, oldest first
    std::array<float, constants::kNFreqBins> mag_{}, phase_{}, prevMag_{}, prevPhase_{};
    std::array<float, constants::kNMels> logMel_{};
    // Analysed frames k at slot(k): the lookahead delays synthesis by up to kMaxLookaheadHops frames.
    std::array<std::array<float, constants::kNFreqBins>, kRing> magRing_{}, phaseRing_{};
    std::array<std::array<float, constants::kNMels>, kRing> melRing_{};
    std::array<std::array<float, constants::kDContent>, kRing> contentRing_{};  // HQ: content of frame k
    std::vector<float> melHistory_;  // [kNMels, kIrUpdateInterval], channel-major, newest last
    std::vector<float> melChunk_;    // [kNMels, irInterval] for the estimator
    std::array<float, constants::kNAcousticParams> estimated_{}, acoustic_{};
    long long hop_ = 0;
    bool estimatorDue_ = true;  // run the acoustic estimator on the next converted hop
    float lastF0_ = 0.0f;
    double inputLogF0Mean_ = 0.0;  // running mean of the input's voiced log-F0 (auto pitch match)
    bool inputPitchKnown_ = false;
};

}  // namespace tmrvc
