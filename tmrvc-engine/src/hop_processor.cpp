#include "tmrvc/hop_processor.h"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace tmrvc {
namespace c = constants;

namespace {

bool allFinite(const float* x, std::size_t n) noexcept {
    for (std::size_t i = 0; i < n; ++i) {
        if (!std::isfinite(x[i])) return false;
    }
    return true;
}

int lookup(const OrtModel& m, const char* name, bool input, std::string& missing) {
    const int i = input ? m.inputIndex(name) : m.outputIndex(name);
    if (i < 0) missing += std::string(missing.empty() ? "" : ", ") + m.spec().model + "." + name;
    return i;
}

std::size_t at(int index) noexcept { return static_cast<std::size_t>(index); }

}  // namespace

std::string ModelSet::bindIndices(int irInterval) {
    std::string missing;
    OrtModel& ce = bundle->contentEncoder();
    OrtModel& ir = bundle->irEstimator();
    OrtModel& cv = converter();
    OrtModel& vc = bundle->vocoder();
    idx.ceMel = lookup(ce, "mel_frame", true, missing);
    idx.ceF0 = lookup(ce, "f0", true, missing);
    idx.ceContent = lookup(ce, "content", false, missing);
    idx.irChunk = lookup(ir, "mel_chunk", true, missing);
    idx.irParams = lookup(ir, "acoustic_params", false, missing);
    idx.cvContent = lookup(cv, "content", true, missing);
    idx.cvSpeaker = lookup(cv, "spk_embed", true, missing);
    idx.cvParams = lookup(cv, "acoustic_params", true, missing);
    idx.cvFeatures = lookup(cv, "pred_features", false, missing);
    idx.vcFeatures = lookup(vc, "features", true, missing);
    idx.vcMag = lookup(vc, "stft_mag", false, missing);
    idx.vcPhase = lookup(vc, "stft_phase", false, missing);
    idx.hqContent = idx.hqSpeaker = idx.hqParams = idx.hqFeatures = -1;
    if (converterHq().loaded()) {
        OrtModel& hq = converterHq();
        idx.hqContent = lookup(hq, "content", true, missing);
        idx.hqSpeaker = lookup(hq, "spk_embed", true, missing);
        idx.hqParams = lookup(hq, "acoustic_params", true, missing);
        idx.hqFeatures = lookup(hq, "pred_features", false, missing);
    }
    if (!missing.empty()) return "missing tensors: " + missing;
    if (ir.dynamicLength() != irInterval) return ir.setDynamicLength(irInterval);
    return "";
}

void ModelSet::resetStates() noexcept {
    bundle->resetStates();
    if (speakerConverter.loaded()) speakerConverter.resetState();
    if (speakerConverterHq.loaded()) speakerConverterHq.resetState();
}

HopProcessor::HopProcessor()
    : pitch_(c::kF0WindowLength, c::kF0WindowMaxLength),
      history_(static_cast<std::size_t>(kHistoryLength), 0.0f),
      melHistory_(static_cast<std::size_t>(c::kNMels * c::kIrUpdateInterval), 0.0f),
      melChunk_(static_cast<std::size_t>(c::kNMels * c::kIrUpdateInterval), 0.0f) {
    static_assert(kHistoryLength >= c::kWindowLength + c::kHopLength, "history must hold a window and a hop");
    static_assert(kHistoryLength >= (2 + c::kMaxLookaheadHops) * c::kHopLength, "history must hold the bypass delay");
    reset();
}

void HopProcessor::reset() noexcept {
    std::fill(history_.begin(), history_.end(), 0.0f);
    stft_.reset();
    // Frames before the stream start are silence: their log-mel is what analysing zeros gives.
    stft_.analyze(history_.data() + (kHistoryLength - c::kWindowLength), nullptr, nullptr, logMel_.data());
    for (int m = 0; m < c::kNMels; ++m)
        std::fill_n(melHistory_.begin() + m * c::kIrUpdateInterval, c::kIrUpdateInterval, logMel_[at(m)]);
    for (int k = 0; k < kRing; ++k) {
        melRing_[at(k)] = logMel_;
        magRing_[at(k)].fill(0.0f);
        phaseRing_[at(k)].fill(0.0f);
    }
    restartSynthesis(profile_);
    hop_ = 0;
    lastF0_ = 0.0f;
    inputLogF0Mean_ = 0.0;
    inputPitchKnown_ = false;
}

void HopProcessor::restartSynthesis(const HopProfile& profile) noexcept {
    profile_ = profile;
    profile_.lookahead = std::clamp(profile_.lookahead, 0, c::kMaxLookaheadHops);
    stft_.reset();
    estimated_.fill(0.0f);
    acoustic_.fill(0.0f);
    prevMag_.fill(0.0f);
    prevPhase_.fill(0.0f);
    for (auto& frame : contentRing_) frame.fill(0.0f);
    phaseReconstructor_.reset();
    levelMatcher_.reset();
    gate_.reset();
    estimatorDue_ = true;
}

void HopProcessor::pushInput(const float* in) noexcept {
    const int hop = c::kHopLength;
    std::memmove(history_.data(), history_.data() + hop, sizeof(float) * at(kHistoryLength - hop));
    std::memcpy(history_.data() + (kHistoryLength - hop), in, sizeof(float) * at(hop));
    stft_.analyze(history_.data() + (kHistoryLength - c::kWindowLength), mag_.data(), phase_.data(), logMel_.data());
    const int k = slot(hop_);
    magRing_[at(k)] = mag_;
    phaseRing_[at(k)] = phase_;
    melRing_[at(k)] = logMel_;
    const int n = c::kIrUpdateInterval;
    for (int m = 0; m < c::kNMels; ++m) {
        float* row = melHistory_.data() + m * n;
        std::memmove(row, row + 1, sizeof(float) * at(n - 1));
        row[n - 1] = logMel_[at(m)];
    }
}

void HopProcessor::analyzeOnly(const float* in) noexcept {
    pushInput(in);
    ++hop_;
}

float HopProcessor::estimateF0(long long frame, int window) noexcept {
    // The window is centred on the frame's analysis window where the samples exist, else it ends at the newest
    // sample (docs/dsp-and-streaming.md, "Lookahead").
    pitch_.setWindowLength(window);
    const int w = pitch_.windowLength();
    const long long lagHops = hop_ - frame;
    const int endBack = std::max(0, c::kWindowLength / 2 + static_cast<int>(lagHops) * c::kHopLength - w / 2);
    return pitch_.estimate(history_.data() + (kHistoryLength - endBack - w));
}

bool HopProcessor::process(const float* in, float* out, HopMode mode, ModelSet* models,
                           const HopControls& controls) noexcept {
    pushInput(in);
    const long long synthFrame = hop_ - profile_.lookahead;  // the frame this hop synthesises
    bool ok = true;
    if (mode == HopMode::Identity) {
        stft_.synthesize(magRing_[at(slot(synthFrame))].data(), phaseRing_[at(slot(synthFrame))].data(), out);
    } else if (mode == HopMode::Convert && models != nullptr) {
        // Live: the content encoder runs on the delayed frame (its F0 sees the lookahead); HQ: on the newest frame,
        // and the semi-causal converter sees the content frames ahead of the synthesised one.
        const bool hq = profile_.hq && models->hasConverterHq();
        const long long encoded = hq ? hop_ : synthFrame;
        // HQ encodes the newest frame, whose samples all exist: the F0 window is then exactly the training one
        // (ending at the newest sample, as the cache's F0 was computed); a longer one would be centred too early.
        lastF0_ = estimateF0(encoded, hq ? c::kF0WindowLength : controls.f0Window);
        trackInputPitch();
        float semitones = controls.pitchSemitones;
        if (controls.autoPitchMatch) semitones += autoPitchSemitones(*models);
        ok = runModels(*models, f0ToModelInput(lastF0_, semitones), controls, encoded);
        if (!ok) {
            models->resetStates();
            mag_ = prevMag_;
            phase_ = prevPhase_;
        }
        prevMag_ = mag_;
        prevPhase_ = phase_;
        stft_.synthesize(mag_.data(), phase_.data(), out);
        // against the input the bypass would play now (delayed like the synthesis)
        if (controls.levelMatch) levelMatcher_.process(history_.data() + (kHistoryLength - synthesisDelay()), out);
        // decided on the newest input hop (no added latency), applied at the output point
        gate_.process(history_.data() + (kHistoryLength - c::kHopLength), lastF0_ > 0.0f, controls.gateDb, out);
    } else {
        // Bypass: the input delayed by exactly what the synthesis path adds (one hop + the lookahead).
        std::memcpy(out, history_.data() + (kHistoryLength - synthesisDelay()), sizeof(float) * at(c::kHopLength));
    }
    ++hop_;
    return ok;
}

void HopProcessor::trackInputPitch() noexcept {
    if (lastF0_ <= 0.0f) return;
    const double logF0 = std::log(static_cast<double>(lastF0_));
    if (!inputPitchKnown_) {
        inputLogF0Mean_ = logF0;
        inputPitchKnown_ = true;
    } else {
        inputLogF0Mean_ += (logF0 - inputLogF0Mean_) / c::kAutoPitchMeanHops;
    }
}

float HopProcessor::autoPitchSemitones(const ModelSet& models) const noexcept {
    if (!inputPitchKnown_ || !models.hasSpeaker || models.speaker.f0LogMean <= 0.0) return 0.0f;
    return static_cast<float>(12.0 / std::log(2.0) * (models.speaker.f0LogMean - inputLogF0Mean_));
}

void HopProcessor::applyAcousticControls(const ModelSet& models, const HopControls& controls) noexcept {
    acoustic_ = estimated_;
    if (controls.manualAcoustic) {
        // Parameter-major layout (tmrvc_data.acoustic): RT60 of the 8 subbands, then DRR, then tilt.
        for (int b = 0; b < c::kNIrSubbands; ++b) {
            acoustic_[at(b)] = controls.rt60;
            acoustic_[at(c::kNIrSubbands + b)] = controls.drrDb;
            acoustic_[at(2 * c::kNIrSubbands + b)] = controls.tiltDbPerOct;
        }
    }
    if (models.speaker.hasVoiceSourcePreset && controls.presetAmount > 0.0f) {
        const float a = std::clamp(controls.presetAmount, 0.0f, 1.0f);
        for (int i = 0; i < c::kNVoiceSourceParams; ++i) {
            float& p = acoustic_[at(c::kNIrParams + i)];
            p += a * (models.speaker.voiceSourcePreset[at(i)] - p);
        }
    }
}

bool HopProcessor::runModels(ModelSet& m, float f0Input, const HopControls& controls, long long frame) noexcept {
    const auto& ix = m.idx;
    OrtModel& ce = m.bundle->contentEncoder();
    OrtModel& ir = m.bundle->irEstimator();
    OrtModel& vc = m.bundle->vocoder();

    std::memcpy(ce.input(at(ix.ceMel)), melRing_[at(slot(frame))].data(), sizeof(float) * c::kNMels);
    ce.input(at(ix.ceF0))[0] = f0Input;
    if (!ce.run()) return false;

    // The acoustic estimator runs on hops 0, N, 2N, ... over the newest N frames; its result is held between.
    const int n = static_cast<int>(ir.dynamicLength());
    if (estimatorDue_ || (!controls.pauseEstimator && hop_ % n == 0)) {
        estimatorDue_ = false;
        for (int mel = 0; mel < c::kNMels; ++mel)
            std::memcpy(ir.input(at(ix.irChunk)) + mel * n,
                        melHistory_.data() + mel * c::kIrUpdateInterval + (c::kIrUpdateInterval - n), sizeof(float) * at(n));
        if (!ir.run()) return false;
        const float* params = ir.output(at(ix.irParams));
        if (!allFinite(params, estimated_.size())) return false;
        std::memcpy(estimated_.data(), params, sizeof(float) * estimated_.size());
    }
    applyAcousticControls(m, controls);
    if (!runConverter(m, ce.output(at(ix.ceContent)))) return false;

    if (!vc.run()) return false;
    const float* mag = vc.output(at(ix.vcMag));
    const float* phase = vc.output(at(ix.vcPhase));
    if (!allFinite(mag, mag_.size()) || !allFinite(phase, phase_.size())) return false;
    std::memcpy(mag_.data(), mag, sizeof(float) * mag_.size());
    formant_.setSemitones(controls.formantSemitones);
    formant_.process(mag_.data());  // before the phase reconstruction, which follows the shifted magnitude
    if (controls.vocoderPhase) std::memcpy(phase_.data(), phase, sizeof(float) * phase_.size());
    else phaseReconstructor_.step(mag_.data(), phase_.data());  // coherent harmonics (docs: "Phase reconstruction")
    return true;
}

bool HopProcessor::runConverter(ModelSet& m, const float* content) noexcept {
    const auto& ix = m.idx;
    OrtModel& vc = m.bundle->vocoder();
    const float* features = nullptr;
    if (profile_.hq && m.hasConverterHq()) {
        // Window slot r holds frame u + min(r, lookahead) (edge replication beyond the lookahead), channel-major.
        auto& newest = contentRing_[at(slot(hop_))];
        std::memcpy(newest.data(), content, sizeof(float) * newest.size());
        OrtModel& hq = m.converterHq();
        constexpr int kWindow = 1 + c::kMaxLookaheadHops;
        float* window = hq.input(at(ix.hqContent));
        const long long first = hop_ - profile_.lookahead;
        for (int r = 0; r < kWindow; ++r) {
            const auto& frame = contentRing_[at(slot(first + std::min(r, profile_.lookahead)))];
            for (int ch = 0; ch < c::kDContent; ++ch) window[ch * kWindow + r] = frame[at(ch)];
        }
        std::memcpy(hq.input(at(ix.hqSpeaker)), m.speaker.embedding.data(), sizeof(float) * m.speaker.embedding.size());
        std::memcpy(hq.input(at(ix.hqParams)), acoustic_.data(), sizeof(float) * acoustic_.size());
        if (!hq.run()) return false;
        features = hq.output(at(ix.hqFeatures));
    } else {
        OrtModel& cv = m.converter();
        std::memcpy(cv.input(at(ix.cvContent)), content, sizeof(float) * cv.inputSize(at(ix.cvContent)));
        std::memcpy(cv.input(at(ix.cvSpeaker)), m.speaker.embedding.data(), sizeof(float) * m.speaker.embedding.size());
        std::memcpy(cv.input(at(ix.cvParams)), acoustic_.data(), sizeof(float) * acoustic_.size());
        if (!cv.run()) return false;
        features = cv.output(at(ix.cvFeatures));
    }
    std::memcpy(vc.input(at(ix.vcFeatures)), features, sizeof(float) * c::kNFreqBins);
    return true;
}

}  // namespace tmrvc
