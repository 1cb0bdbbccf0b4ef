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
    return e;
}

std::string OrtSessionBundle::buildSpeakerConverter(const std::vector<float>& loraDelta, OrtModel& out,
                                                    ModelRole role) const {
    if (!loaded_) return "no models loaded";
    if (role != ModelRole::Converter && role != ModelRole::ConverterHq) return "not a converter role";
    OrtModelOptions mo;
    mo.intraOpThreads = options_.intraOpThreads;
    mo.useIoBinding = options_.useIoBinding;
    std::string err = mergeLora(info_.lora, film_, loraDelta.data(), loraDelta.size(), mo.initializers);
    if (!err.empty()) return err;
    return out.load(info_.modelPath(role, options_.int8),
                    contractSpec(role, static_cast<std::int64_t>(info_.lora.size())), std::move(mo));
}

void OrtSessionBundle::resetStates() noexcept {
    for (OrtModel* m : {&contentEncoder_, &irEstimator_, &converter_, &vocoder_, &converterHq_})
        if (m->loaded()) m->resetState();
}

}  // namespace tmrvc
