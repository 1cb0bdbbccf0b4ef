// OrtSessionBundle: the models of one folder as OrtModels, checked against the contract, plus the base FiLM
// weights for building speaker-specific converters (LoRA merged into overridden initializers, and the speaker's
// bank as the bank.* initializers when the models have a bank).
// Everything here runs off the audio thread.
#pragma once

#include <string>
#include <vector>

#include "tmrvc/lora_merge.h"
#include "tmrvc/model_folder.h"
#include "tmrvc/ort_model.h"
#include "tmrvc/speaker_bank.h"
#include "tmrvc/speaker_file.h"

namespace tmrvc {

struct BundleOptions {
    bool int8 = false;                // load int8/*.onnx for the per-frame models
    int intraOpThreads = 1;
    bool useIoBinding = true;         // RunWithBinding (measured ~1-2 % cheaper per call than Run)
    bool loadSpeakerEncoder = false;  // offline enrolment only
    bool loadConverterHq = false;     // when converter_hq.onnx exists
};

class OrtSessionBundle {
public:
    // Validates the folder and loads every model. "" on success; otherwise every problem, one per line.
    // On failure the bundle is left unloaded.
    std::string load(const std::string& dir, const BundleOptions& options = {});
    bool loaded() const noexcept { return loaded_; }
    const ModelFolderInfo& info() const noexcept { return info_; }
    const BundleOptions& options() const noexcept { return options_; }

    OrtModel& contentEncoder() noexcept { return contentEncoder_; }
    OrtModel& irEstimator() noexcept { return irEstimator_; }
    OrtModel& converter() noexcept { return converter_; }
    OrtModel& vocoder() noexcept { return vocoder_; }
    OrtModel& speakerEncoder() noexcept { return speakerEncoder_; }  // loaded() only if requested and present
    OrtModel& converterHq() noexcept { return converterHq_; }        // loaded() only if requested and present
    const std::vector<FilmWeight>& baseFilmWeights() const noexcept { return film_; }

    // What a speaker file must match for these models (embedding size, LoRA size, model_id, bank value size).
    SpeakerExpectation speakerExpectation(bool allowModelIdMismatch = false) const;
    bool hasBank() const noexcept { return info_.bank.present; }

    // Creates a converter session (same file and options as converter(), or converterHq() for that role) whose
    // FiLM initializers carry W' = W + (alpha/rank) B@A from the speaker's LoRA delta, and, when both the models
    // and the speaker have a bank, whose bank.* initializers carry the speaker's bank (mix 1). The HQ converter
    // shares the converter's FiLM weights and bank layout by contract. "" on success.
    std::string buildSpeakerConverter(const SpeakerProfile& speaker, OrtModel& out,
                                      ModelRole role = ModelRole::Converter) const;
    // The same for a LoRA delta alone (no bank).
    std::string buildSpeakerConverter(const std::vector<float>& loraDelta, OrtModel& out,
                                      ModelRole role = ModelRole::Converter) const;
    // Whether buildSpeakerConverter applies `speaker`'s bank on these models.
    bool appliesBank(const SpeakerProfile& speaker) const noexcept { return hasBank() && speaker.hasBank(); }
    // "" or the warning that `speaker`'s bank is ignored because these models have none.
    std::string bankWarning(const SpeakerProfile& speaker) const;

    void resetStates() noexcept;

private:
    std::string checkFilmOverride(OrtModel& model);
    std::string checkBankOverride(OrtModel& model);

    bool loaded_ = false;
    BundleOptions options_;
    ModelFolderInfo info_;
    std::vector<FilmWeight> film_;
    OrtModel contentEncoder_, irEstimator_, converter_, vocoder_, speakerEncoder_, converterHq_;
};

}  // namespace tmrvc
