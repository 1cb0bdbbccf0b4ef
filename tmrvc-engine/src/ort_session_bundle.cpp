#include "tmrvc/ort_session_bundle.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

namespace tmrvc {

namespace {

void appendLines(std::string& all, const std::string& more) {
    if (more.empty()) return;
    if (!all.empty()) all += "\n";
    all += more;
}

// Fills every non-state input of a model with a fixed, deterministic pattern and zeroes its state.
void fillProbeInputs(OrtModel& m) {
    m.resetState();
    for (std::size_t i = 0; i < m.inputCount(); ++i) {
        if (m.inputName(i) == m.spec().stateInput) continue;
        float* x = m.input(i);
        for (std::size_t k = 0; k < m.inputSize(i); ++k) x[k] = 0.5f + 0.25f * static_cast<float>((k * 7) % 5);
    }
}

// Max abs difference between the pred_features of two converters run once on the same probe inputs.
float probeDifference(OrtModel& a, OrtModel& b) {
    fillProbeInputs(a);
    fillProbeInputs(b);
    if (!a.run() || !b.run()) return -1.0f;
    const auto out = static_cast<std::size_t>(a.outputIndex("pred_features"));
    float diff = 0.0f;
    for (std::size_t k = 0; k < a.outputSize(out); ++k) diff = std::max(diff, std::fabs(a.output(out)[k] - b.output(out)[k]));
    return diff;
}

}  // namespace

std::string OrtSessionBundle::checkFilmOverride(OrtModel& model) {
    // ONNX Runtime silently ignores an override whose name is absent or whose initializer was folded into
    // another node at export; prove that each LoRA'd FiLM weight reaches the graph by shifting it alone.
    std::string problems;
    for (const FilmWeight& w : film_) {
        OrtModelOptions mo;
        mo.intraOpThreads = options_.intraOpThreads;
        InitializerOverride o{w.name, {info_.lora.dOut, info_.lora.dIn}, w.values};
        for (float& v : o.values) v += 0.5f;
        mo.initializers.push_back(std::move(o));
        OrtModel probe;
        std::string err = probe.load(model.path(), model.spec(), std::move(mo));
        const float diff = err.empty() ? probeDifference(probe, model) : 0.0f;
        if (err.empty() && diff < 0.0f) err = model.path() + ": probe run failed: " + probe.lastError() + model.lastError();
        if (err.empty() && diff == 0.0f)
            err = model.path() + ": overriding the FiLM initializer '" + w.name +
                  "' changes nothing: it was renamed or folded at export, so a speaker's LoRA cannot be applied";
        appendLines(problems, err);
    }
    model.resetState();
    return problems;
}

std::string OrtSessionBundle::checkBankOverride(OrtModel& model) {
    // The same silent-ignore risk for the bank (a renamed, folded or quantised bank.* initializer). Three full
    // synthetic banks: A selects rows 0..k-1 by their keys; B the last k rows by keys alone (so B == A when
    // bank.keys or bank.values is ignored); C = A with rows 0..k-1 padded out by bank.bias (C == A when the
    // bias is ignored). A must differ from the model itself (bank.mix reaches the graph).
    const auto frames = static_cast<std::size_t>(info_.bank.frames);
    const std::size_t k = std::max<std::size_t>(1, static_cast<std::size_t>(info_.bank.k));
    auto probe = [&](bool lastRows, bool padFirst, OrtModel& out) {
        SpeakerProfile bank;
        bank.bankFrames = frames;
        bank.bankKeySize = static_cast<std::size_t>(info_.bank.keySize);
        bank.bankValueSize = static_cast<std::size_t>(info_.bank.valueSize);
        bank.bankKeys.assign(frames * bank.bankKeySize, 0.0f);
        bank.bankValues.resize(frames * bank.bankValueSize);
        for (std::size_t j = 0; j < frames; ++j) {
            const bool chosen = lastRows ? j + k >= frames : j < k;
            bank.bankKeys[j * bank.bankKeySize] = chosen ? 1.0f : -1.0f;  // the probe content is positive
            for (std::size_t v = 0; v < bank.bankValueSize; ++v)
                bank.bankValues[j * bank.bankValueSize + v] = 0.001f * static_cast<float>(j) - 1.0f;
        }
        OrtModelOptions mo;
        mo.intraOpThreads = options_.intraOpThreads;
        std::string err = appendBankOverrides(info_.bank, bank, mo.initializers);
        if (err.empty() && padFirst)
            for (InitializerOverride& o : mo.initializers)
                if (o.name == kBankBiasName)
                    std::fill(o.values.begin(), o.values.begin() + static_cast<std::ptrdiff_t>(k),
                              static_cast<float>(constants::kBankPadBias));
        return err.empty() ? out.load(model.path(), model.spec(), std::move(mo)) : err;
    };
    OrtModel a, b, c;
    std::string err = probe(false, false, a);
    if (err.empty()) err = probe(true, false, b);
    if (err.empty()) err = probe(false, true, c);
    if (!err.empty()) return model.path() + ": cannot apply a speaker bank: " + err;
    const float mixDiff = probeDifference(a, model), keyDiff = probeDifference(b, a), biasDiff = probeDifference(c, a);
    model.resetState();
    if (mixDiff < 0.0f || keyDiff < 0.0f || biasDiff < 0.0f)
        return model.path() + ": bank probe run failed: " + a.lastError() + b.lastError() + c.lastError() +
               model.lastError();
    const char* ignored = mixDiff == 0.0f ? "bank.mix" : keyDiff == 0.0f ? "bank.keys or bank.values"
                                                       : biasDiff == 0.0f ? "bank.bias" : nullptr;
    if (ignored == nullptr) return {};
    return model.path() + ": overriding '" + ignored + "' changes nothing, although metadata.json describes a bank: "
           "the initializer was renamed, folded or quantised at export, so a speaker's bank cannot be applied";
}

std::string OrtSessionBundle::load(const std::string& dir, const BundleOptions& options) {
    loaded_ = false;
    film_.clear();
    for (OrtModel* m : {&contentEncoder_, &irEstimator_, &converter_, &vocoder_, &speakerEncoder_, &converterHq_})
        m->unload();
    options_ = options;
    ModelFolderCheck check = checkModelFolder(dir, options.int8);
    info_ = check.info;
    std::string problems = check.message();
    OrtModelOptions mo;
    mo.intraOpThreads = options.intraOpThreads;
    mo.useIoBinding = options.useIoBinding;
    const auto loraSize = static_cast<std::int64_t>(info_.lora.size());
    struct Item {
        ModelRole role;
        OrtModel* model;
        bool wanted;
    };
    const Item items[] = {
        {ModelRole::ContentEncoder, &contentEncoder_, true},
        {ModelRole::IrEstimator, &irEstimator_, true},
        {ModelRole::Converter, &converter_, true},
        {ModelRole::Vocoder, &vocoder_, true},
        {ModelRole::SpeakerEncoder, &speakerEncoder_, options.loadSpeakerEncoder && info_.hasSpeakerEncoder},
        {ModelRole::ConverterHq, &converterHq_, options.loadConverterHq && info_.hasConverterHq},
    };
    for (const Item& it : items) {
        if (!it.wanted) continue;
        const std::string path = info_.modelPath(it.role, options.int8);
        std::error_code ec;
        if (!std::filesystem::is_regular_file(path, ec)) continue;  // reported by checkModelFolder
        appendLines(problems, it.model->load(path, contractSpec(it.role, loraSize), mo));
    }
    if (problems.empty()) appendLines(problems, readFilmWeights(info_, film_));
    if (problems.empty()) appendLines(problems, checkFilmOverride(converter_));
    if (problems.empty() && converterHq_.loaded()) appendLines(problems, checkFilmOverride(converterHq_));
    if (problems.empty() && info_.bank.present) appendLines(problems, checkBankOverride(converter_));
    if (problems.empty() && info_.bank.present && converterHq_.loaded())
        appendLines(problems, checkBankOverride(converterHq_));
    if (!problems.empty()) {
        for (const Item& it : items) it.model->unload();
        film_.clear();
        return problems;
    }
    loaded_ = true;
    return {};
}

SpeakerExpectation OrtSessionBundle::speakerExpectation(bool allowModelIdMismatch) const {
    SpeakerExpectation e;
    e.embedSize = static_cast<std::size_t>(constants::kDSpeaker);
    e.loraSize = info_.lora.size();
    e.modelId = info_.modelId;
    e.allowModelIdMismatch = allowModelIdMismatch;
    e.bankValueSize = info_.bank.present ? static_cast<std::size_t>(info_.bank.valueSize) : 0;
    return e;
}

std::string OrtSessionBundle::bankWarning(const SpeakerProfile& speaker) const {
    if (!speaker.hasBank() || info_.bank.present) return {};
    return "speaker '" + speaker.name + "' has a speaker bank (" + std::to_string(speaker.bankFrames) +
           " frames), but these models have none: the bank is ignored (export the models with a bank to use it)";
}

std::string OrtSessionBundle::buildSpeakerConverter(const SpeakerProfile& speaker, OrtModel& out,
                                                    ModelRole role) const {
    if (!loaded_) return "no models loaded";
    if (role != ModelRole::Converter && role != ModelRole::ConverterHq) return "not a converter role";
    OrtModelOptions mo;
    mo.intraOpThreads = options_.intraOpThreads;
    mo.useIoBinding = options_.useIoBinding;
    std::string err = mergeLora(info_.lora, film_, speaker.loraDelta.data(), speaker.loraDelta.size(), mo.initializers);
    if (err.empty()) err = appendBankOverrides(info_.bank, speaker, mo.initializers);
    if (!err.empty()) return err;
    return out.load(info_.modelPath(role, options_.int8),
                    contractSpec(role, static_cast<std::int64_t>(info_.lora.size())), std::move(mo));
}

std::string OrtSessionBundle::buildSpeakerConverter(const std::vector<float>& loraDelta, OrtModel& out,
                                                    ModelRole role) const {
    SpeakerProfile speaker;
    speaker.loraDelta = loraDelta;
    return buildSpeakerConverter(speaker, out, role);
}

void OrtSessionBundle::resetStates() noexcept {
    for (OrtModel* m : {&contentEncoder_, &irEstimator_, &converter_, &vocoder_, &converterHq_})
        if (m->loaded()) m->resetState();
}

}  // namespace tmrvc
