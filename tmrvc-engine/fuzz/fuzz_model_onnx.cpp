// libFuzzer harness: a model folder whose ONNX file is truncated or garbage. The first input byte picks the model
// (content_encoder, ir_estimator, converter, vocoder), the rest becomes that file in a scratch copy of a tiny
// valid model folder. The folder is validated (checkModelFolder) and the picked model is loaded and checked
// against the contract exactly as OrtSessionBundle does (OrtModel::load with contractSpec); a model that passes
// is run once on its preallocated tensors. Nothing may crash or leak, a rejection must say why, and an accepted
// model's tensors must have the contract's sizes. ONNX Runtime itself is not instrumented.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "scratch_model_folder.h"
#include "tmrvc/model_folder.h"
#include "tmrvc/ort_model.h"

namespace {

const tmrvc::ModelRole kRoles[] = {tmrvc::ModelRole::ContentEncoder, tmrvc::ModelRole::IrEstimator,
                                   tmrvc::ModelRole::Converter, tmrvc::ModelRole::Vocoder};
constexpr std::size_t kRoleCount = sizeof(kRoles) / sizeof(kRoles[0]);

std::size_t product(const std::vector<std::int64_t>& shape) {
    std::size_t n = 1;
    for (std::int64_t d : shape) n *= static_cast<std::size_t>(d);
    return n;
}

// Every tensor of a loaded model has a positive, static bound shape whose size the model reports.
void checkLoaded(tmrvc::OrtModel& model) {
    for (std::size_t i = 0; i < model.inputCount(); ++i) {
        for (std::int64_t d : model.inputShape(i))
            if (d <= 0) std::abort();
        if (model.inputSize(i) != product(model.inputShape(i)) || model.input(i) == nullptr) std::abort();
    }
    for (std::size_t i = 0; i < model.outputCount(); ++i) {
        for (std::int64_t d : model.outputShape(i))
            if (d <= 0) std::abort();
        if (model.outputSize(i) != product(model.outputShape(i))) std::abort();
    }
    if (!model.run() && model.lastError()[0] == '\0') std::abort();  // a failed run must say why
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    tmrvc::fuzz::scratchModelFolder();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const tmrvc::ModelRole role = kRoles[data[0] % kRoleCount];
    const std::string file = tmrvc::modelFileName(role);
    tmrvc::fuzz::writeFile(file, data + 1, size - 1);
    const tmrvc::ModelFolderCheck check = tmrvc::checkModelFolder(tmrvc::fuzz::scratchModelFolder());
    if (!check.ok()) std::abort();  // only the ONNX bytes changed: the folder description is still valid
    {
        tmrvc::OrtModel model;
        const std::string err = model.load(check.info.modelPath(role, false),
                                           tmrvc::contractSpec(role, static_cast<std::int64_t>(check.info.lora.size())));
        if (err.empty() != model.loaded()) std::abort();  // "" exactly when loaded
        if (model.loaded()) checkLoaded(model);
    }
    tmrvc::fuzz::restoreFile(file);
    return 0;
}
