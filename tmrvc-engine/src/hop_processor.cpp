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

}  // namespace

std::string ModelSet::bindIndices() {
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
    if (!missing.empty()) return "missing tensors: " + missing;
    if (ir.dynamicLength() != c::kIrUpdateInterval) {
        std::string err = ir.setDynamicLength(c::kIrUpdateInterval);
        if (!err.empty()) return err;
    }
    return "";
}

HopProcessor::HopProcessor()
    : pitch_(c::kF0WindowLength),
      historyLength_(std::max(c::kWindowLength, c::kF0WindowLength)),
      history_(static_cast<std::size_t>(historyLength_), 0.0f),
      melHistory_(static_cast<std::size_t>(c::kNMels * c::kIrUpdateInterval), 0.0f) {
    reset();
}

void HopProcessor::reset() noexcept {
    std::fill(history_.begin(), history_.end(), 0.0f);
    stft_.reset();
    // Frames before the stream start are silence: their log-mel is what analysing zeros gives.
    stft_.analyze(history_.data() + (historyLength_ - c::kWindowLength), nullptr, nullptr, logMel_.data());
    for (int m = 0; m < c::kNMels; ++m) {
        std::fill_n(melHistory_.begin() + m * c::kIrUpdateInterval, c::kIrUpdateInterval, logMel_[static_cast<std::size_t>(m)]);
    }
    acoustic_.fill(0.0f);
    hop_ = 0;
    lastF0_ = 0.0f;
}

void HopProcessor::resetModelStates(ModelSet& models) noexcept {
    models.bundle->resetStates();
    if (models.speakerConverter.loaded()) models.speakerConverter.resetState();
}

bool HopProcessor::process(const float* in, float* out, HopMode mode, ModelSet* models, float pitchSemitones) noexcept {
    const int hop = c::kHopLength;
    std::memmove(history_.data(), history_.data() + hop, sizeof(float) * static_cast<std::size_t>(historyLength_ - hop));
    std::memcpy(history_.data() + (historyLength_ - hop), in, sizeof(float) * static_cast<std::size_t>(hop));
    stft_.analyze(history_.data() + (historyLength_ - c::kWindowLength), mag_.data(), phase_.data(), logMel_.data());

    // Mel history for the acoustic estimator: shift one frame left, newest last.
    const int n = c::kIrUpdateInterval;
    for (int m = 0; m < c::kNMels; ++m) {
        float* row = melHistory_.data() + m * n;
        std::memmove(row, row + 1, sizeof(float) * static_cast<std::size_t>(n - 1));
        row[n - 1] = logMel_[static_cast<std::size_t>(m)];
    }

    bool ok = true;
    if (mode == HopMode::Identity) {
        stft_.synthesize(mag_.data(), phase_.data(), out);
    } else if (mode == HopMode::Convert && models != nullptr) {
        lastF0_ = pitch_.estimate(history_.data() + (historyLength_ - c::kF0WindowLength));
        ok = runModels(*models, f0ToModelInput(lastF0_, pitchSemitones));
        if (!ok) {
            resetModelStates(*models);
            mag_.fill(0.0f);
            phase_.fill(0.0f);
        }
        stft_.synthesize(mag_.data(), phase_.data(), out);
    } else {
        std::fill_n(out, hop, 0.0f);
    }
    ++hop_;
    return ok;
}

bool HopProcessor::runModels(ModelSet& m, float f0Input) noexcept {
    const auto& ix = m.idx;
    OrtModel& ce = m.bundle->contentEncoder();
    OrtModel& ir = m.bundle->irEstimator();
    OrtModel& cv = m.converter();
    OrtModel& vc = m.bundle->vocoder();

    std::memcpy(ce.input(static_cast<std::size_t>(ix.ceMel)), logMel_.data(), sizeof(float) * logMel_.size());
    ce.input(static_cast<std::size_t>(ix.ceF0))[0] = f0Input;
    if (!ce.run()) return false;

    // The acoustic estimator runs on hops 0, N, 2N, ... over the newest N frames; its result is held between.
    if (hop_ % c::kIrUpdateInterval == 0) {
        std::memcpy(ir.input(static_cast<std::size_t>(ix.irChunk)), melHistory_.data(), sizeof(float) * melHistory_.size());
        if (!ir.run()) return false;
        const float* params = ir.output(static_cast<std::size_t>(ix.irParams));
        if (!allFinite(params, acoustic_.size())) return false;
        std::memcpy(acoustic_.data(), params, sizeof(float) * acoustic_.size());
    }

    const std::size_t dContent = cv.inputSize(static_cast<std::size_t>(ix.cvContent));
    std::memcpy(cv.input(static_cast<std::size_t>(ix.cvContent)), ce.output(static_cast<std::size_t>(ix.ceContent)),
                sizeof(float) * dContent);
    std::memcpy(cv.input(static_cast<std::size_t>(ix.cvSpeaker)), m.speaker.embedding.data(),
                sizeof(float) * m.speaker.embedding.size());
    std::memcpy(cv.input(static_cast<std::size_t>(ix.cvParams)), acoustic_.data(), sizeof(float) * acoustic_.size());
    if (!cv.run()) return false;

    std::memcpy(vc.input(static_cast<std::size_t>(ix.vcFeatures)), cv.output(static_cast<std::size_t>(ix.cvFeatures)),
                sizeof(float) * c::kNFreqBins);
    if (!vc.run()) return false;
    const float* mag = vc.output(static_cast<std::size_t>(ix.vcMag));
    const float* phase = vc.output(static_cast<std::size_t>(ix.vcPhase));
    if (!allFinite(mag, mag_.size()) || !allFinite(phase, phase_.size())) return false;
    std::memcpy(mag_.data(), mag, sizeof(float) * mag_.size());
    std::memcpy(phase_.data(), phase, sizeof(float) * phase_.size());
    return true;
}

}  // namespace tmrvc
