// Model folder: layout, metadata.json and the contract's tensor specs (docs: onnx-contract.md, "Model folder").
// checkModelFolder() never throws and never crashes on garbage; it lists every problem it finds.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "tmrvc/lora_merge.h"
#include "tmrvc/ort_model.h"

namespace tmrvc {

enum class ModelRole { ContentEncoder, IrEstimator, SpeakerEncoder, Converter, ConverterHq, Vocoder };

const char* modelRoleName(ModelRole role) noexcept;  // "content_encoder", ...
std::string modelFileName(ModelRole role);            // "content_encoder.onnx", ...

// The contract's tensors for a role: names and static shapes; states are [1, *, *] (read from the model);
// ir_estimator's N and speaker_encoder's T are dynamic; lora_delta's size is loraSize.
ModelSpec contractSpec(ModelRole role, std::int64_t loraSize);

struct FilmLayerInfo {
    std::string name;                  // initializer name, e.g. "film.3.weight"
    std::uint64_t offsetBytes = 0;     // into the film file
    std::vector<std::int64_t> shape;   // [d_out, d_in]
};

// The converter's speaker bank (docs/speaker-bank.md), from metadata.json models.converter.bank.
struct BankLayout {
    bool present = false;  // false: the models have no bank initializers
    int frames = 0;        // == constants::kBankFrames
    int keySize = 0;       // == constants::kDContent - 1
    int valueSize = 0;     // V = 2 x n_knots
    int k = 0;
    std::vector<double> knotsHz;  // the envelope knots (knots_hz) a bank builder projects onto; V = 2 x size
};

struct ModelFolderInfo {
    std::string dir;
    std::string constantsHash;
    int contractVersion = 0;
    std::string modelId;   // ties speaker files to this converter
    LoraLayout lora;
    BankLayout bank;
    std::string filmFile;  // path of converter_film.bin
    std::vector<FilmLayerInfo> filmLayers;
    bool hasInt8 = false;
    bool hasConverterHq = false;
    bool hasSpeakerEncoder = false;

    std::string modelPath(ModelRole role, bool int8) const;  // int8 only for the per-frame models
};

struct ModelFolderCheck {
    ModelFolderInfo info;
    std::vector<std::string> problems;
    bool ok() const noexcept { return problems.empty(); }
    std::string message() const;  // every problem, one per line; "" when ok
};

// Files present, metadata.json parsed, constants hash and contract version equal to the engine's, LoRA and
// FiLM-weight descriptions consistent. With int8, the int8/ models must be present too.
ModelFolderCheck checkModelFolder(const std::string& dir, bool int8 = false);

// Reads the base FiLM weights named by the folder's metadata. "" on success.
std::string readFilmWeights(const ModelFolderInfo& info, std::vector<FilmWeight>& out);

}  // namespace tmrvc
