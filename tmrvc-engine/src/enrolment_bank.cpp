// Speaker bank of an enrolment (see enrolment_bank.h). Thinning picks np.linspace(0, n - 1, frames).round(), as
// enroll_bank.py, so both builders keep the same frames of the same audio.
#include "tmrvc/enrolment_bank.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

#include "tmrvc/constants.h"
#include "tmrvc/pitch_tracker.h"
#include "tmrvc/speaker_file.h"

namespace tmrvc {
namespace {

namespace c = constants;

constexpr double kHeardMagnitude = 10.0 * c::kFeatureFloor;  // a frame at or below this everywhere is silence

}  // namespace

std::string EnrolmentBankBuilder::prepare(const ModelFolderInfo& info, int intraOpThreads) {
    if (!info.bank.present) return "speaker bank: the models in " + info.dir + " have no speaker bank";
    if (std::string err = projector_.prepare(info.bank.knotsHz); !err.empty()) return err;
    if (projector_.valueSize() != info.bank.valueSize)
        return "speaker bank: " + std::to_string(info.bank.knotsHz.size()) + " knots give " +
               std::to_string(projector_.valueSize()) + " values per frame, the converter takes " +
               std::to_string(info.bank.valueSize) + " (knots_hz in metadata.json does not match value_size)";
    OrtModelOptions options;
    options.intraOpThreads = std::max(1, intraOpThreads);
    const auto loraSize = static_cast<std::int64_t>(info.lora.size());
    if (std::string err = content_.load(info.modelPath(ModelRole::ContentEncoder, false),
                                        contractSpec(ModelRole::ContentEncoder, loraSize), options);
        !err.empty())
        return "speaker bank: " + err;
    melIn_ = content_.inputIndex("mel_frame");
    f0In_ = content_.inputIndex("f0");
    contentOut_ = content_.outputIndex("content");
    frames_ = info.bank.frames;
    valueSize_ = info.bank.valueSize;
    kept_ = 0;
    keys_.clear();
    values_.clear();
    logMag_.assign(c::kNFreqBins, 0.0);
    return "";
}

void EnrolmentBankBuilder::startClip() noexcept { content_.resetState(); }

std::string EnrolmentBankBuilder::addHop(const float* logMel, float f0Hz, const float* mag) {
    std::copy(logMel, logMel + c::kNMels, content_.input(static_cast<std::size_t>(melIn_)));
    *content_.input(static_cast<std::size_t>(f0In_)) = f0ToModelInput(f0Hz, 0.0F);
    if (!content_.run()) return std::string("speaker bank: content encoder failed: ") + content_.lastError();
    double loudest = 0.0;
    for (int k = 0; k < c::kNFreqBins; ++k) loudest = std::max(loudest, static_cast<double>(mag[k]));
    if (!(loudest > kHeardMagnitude)) return "";
    const float* content = content_.output(static_cast<std::size_t>(contentOut_));
    keys_.insert(keys_.end(), content, content + kBankKeySize);  // the last channel (F0) is not part of the key
    for (int k = 0; k < c::kNFreqBins; ++k)
        logMag_[static_cast<std::size_t>(k)] = std::log(std::max(static_cast<double>(mag[k]), c::kFeatureFloor));
    values_.resize(values_.size() + static_cast<std::size_t>(valueSize_));
    projector_.values(logMag_, static_cast<double>(f0Hz), values_.data() + values_.size() - valueSize_);
    ++kept_;
    return "";
}

std::string EnrolmentBankBuilder::finish(EnrolmentBank& out) const {
    if (kept_ < c::kBankMinFrames) {
        const double seconds = static_cast<double>(c::kBankMinFrames) * c::kHopLength / c::kSampleRate;
        return "speaker bank: the enrolment audio has " + std::to_string(kept_) + " frames with sound, at least " +
               std::to_string(c::kBankMinFrames) + " (" + std::to_string(static_cast<int>(std::lround(seconds))) +
               " s) needed";
    }
    const int n = std::min(kept_, frames_);
    // np.linspace(0, kept - 1, frames).round(): i * step, the last exactly kept - 1, halves to even.
    const double step = n > 1 ? static_cast<double>(kept_ - 1) / (n - 1) : 0.0;
    out = EnrolmentBank{};
    out.frames = n;
    out.keySize = static_cast<int>(kBankKeySize);
    out.valueSize = valueSize_;
    out.keys.resize(static_cast<std::size_t>(n) * kBankKeySize);
    out.values.resize(static_cast<std::size_t>(n) * static_cast<std::size_t>(valueSize_));
    for (int i = 0; i < n; ++i) {
        const long src = kept_ <= frames_ ? i : (i == n - 1 ? kept_ - 1 : std::lrint(static_cast<double>(i) * step));
        const float* key = keys_.data() + static_cast<std::size_t>(src) * kBankKeySize;
        double norm = 0.0;
        for (std::size_t k = 0; k < kBankKeySize; ++k) norm += static_cast<double>(key[k]) * key[k];
        norm = std::max(std::sqrt(norm), 1e-12);
        float* dst = out.keys.data() + static_cast<std::size_t>(i) * kBankKeySize;
        for (std::size_t k = 0; k < kBankKeySize; ++k) dst[k] = static_cast<float>(key[k] / norm);
        const auto v = static_cast<std::size_t>(valueSize_);
        std::copy_n(values_.data() + static_cast<std::size_t>(src) * v, v,
                    out.values.data() + static_cast<std::size_t>(i) * v);
    }
    return "";
}

}  // namespace tmrvc
