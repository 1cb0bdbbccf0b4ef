#include "tmrvc/model_folder.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tmrvc/constants.h"

namespace tmrvc {

namespace fs = std::filesystem;
using nlohmann::json;
namespace c = constants;

namespace {

constexpr std::uintmax_t kMaxMetadataBytes = 16u << 20;  // a metadata.json larger than this is garbage
constexpr ModelRole kRequiredRoles[] = {ModelRole::ContentEncoder, ModelRole::IrEstimator, ModelRole::Converter,
                                        ModelRole::Vocoder};

bool isFile(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec);
}

std::string readText(const fs::path& p, std::uintmax_t maxBytes, std::string& error) {
    std::error_code ec;
    const std::uintmax_t n = fs::file_size(p, ec);
    if (ec) {
        error = p.string() + ": cannot read (" + ec.message() + ")";
        return {};
    }
    if (n > maxBytes) {
        error = p.string() + ": " + std::to_string(n) + " bytes, more than the " + std::to_string(maxBytes) + " allowed";
        return {};
    }
    std::ifstream f(p, std::ios::binary);
    std::string text(static_cast<std::size_t>(n), '\0');
    if (!f.read(text.data(), static_cast<std::streamsize>(n))) error = p.string() + ": read failed";
    return text;
}

bool getInt(const json& j, const char* key, long long& out) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_number_integer()) return false;
    out = it->get<long long>();
    return true;
}

void parseLora(const json& meta, ModelFolderInfo& info, std::vector<std::string>& problems) {
    auto it = meta.find("lora");
    if (it == meta.end() || !it->is_object()) {
        problems.push_back("metadata.json: missing object 'lora' (rank, alpha, layers, d_in, d_out, size)");
        return;
    }
    const json& l = *it;
    long long rank = 0, dIn = 0, dOut = 0, size = 0;
    auto alpha = l.find("alpha");
    auto layers = l.find("layers");
    if (!getInt(l, "rank", rank) || !getInt(l, "d_in", dIn) || !getInt(l, "d_out", dOut) || !getInt(l, "size", size) ||
        alpha == l.end() || !alpha->is_number() || layers == l.end() || !layers->is_array()) {
        problems.push_back("metadata.json: 'lora' needs integers rank, d_in, d_out, size, a number alpha and a list layers");
        return;
    }
    if (rank <= 0 || rank > 4096 || dIn <= 0 || dIn > (1 << 20) || dOut <= 0 || dOut > (1 << 20)) {
        problems.push_back("metadata.json: 'lora' sizes out of range (rank " + std::to_string(rank) + ", d_in " +
                           std::to_string(dIn) + ", d_out " + std::to_string(dOut) + ")");
        return;
    }
    info.lora.rank = static_cast<int>(rank);
    info.lora.alpha = alpha->get<double>();
    info.lora.dIn = static_cast<int>(dIn);
    info.lora.dOut = static_cast<int>(dOut);
    info.lora.layers.clear();
    for (const json& v : *layers) {
        if (!v.is_number_integer()) {
            problems.push_back("metadata.json: 'lora.layers' must hold integers");
            return;
        }
        info.lora.layers.push_back(v.get<int>());
    }
    std::string err = info.lora.validate();
    if (!err.empty()) problems.push_back("metadata.json: " + err);
    if (static_cast<std::size_t>(size) != info.lora.size())
        problems.push_back("metadata.json: lora.size is " + std::to_string(size) + " but layers x rank x (d_in + d_out) = " +
                           std::to_string(info.lora.size()));
}

void parseFilm(const json& meta, const fs::path& dir, ModelFolderInfo& info, std::vector<std::string>& problems) {
    auto it = meta.find("film_weights");
    if (it == meta.end() || !it->is_object()) {
        problems.push_back("metadata.json: missing object 'film_weights' (file, dtype, layers)");
        return;
    }
    const json& f = *it;
    auto file = f.find("file");
    auto dtype = f.find("dtype");
    auto layers = f.find("layers");
    if (file == f.end() || !file->is_string() || layers == f.end() || !layers->is_array()) {
        problems.push_back("metadata.json: 'film_weights' needs a string 'file' and a list 'layers'");
        return;
    }
    if (dtype == f.end() || !dtype->is_string() || dtype->get<std::string>() != "float32")
        problems.push_back("metadata.json: film_weights.dtype must be \"float32\"");
    const std::string rel = file->get<std::string>();
    if (rel.empty() || rel.find("..") != std::string::npos || fs::path(rel).is_absolute()) {
        problems.push_back("metadata.json: film_weights.file must name a file inside the folder, got '" + rel + "'");
        return;
    }
    info.filmFile = (dir / rel).string();
    std::error_code ec;
    const std::uintmax_t fileBytes = fs::file_size(info.filmFile, ec);
    if (ec) problems.push_back(info.filmFile + ": missing (film_weights.file)");
    for (const json& l : *layers) {
        FilmLayerInfo fl;
        long long off = -1;
        auto name = l.is_object() ? l.find("name") : l.end();
        auto shape = l.is_object() ? l.find("shape") : l.end();
        if (!l.is_object() || name == l.end() || !name->is_string() || !getInt(l, "offset_bytes", off) || off < 0 ||
            shape == l.end() || !shape->is_array() || shape->size() != 2 || !(*shape)[0].is_number_integer() ||
            !(*shape)[1].is_number_integer()) {
            problems.push_back("metadata.json: each film_weights.layers entry needs name, offset_bytes >= 0, shape [d_out, d_in]");
            return;
        }
        fl.name = name->get<std::string>();
        fl.offsetBytes = static_cast<std::uint64_t>(off);
        fl.shape = {(*shape)[0].get<std::int64_t>(), (*shape)[1].get<std::int64_t>()};
        if (fl.shape[0] != info.lora.dOut || fl.shape[1] != info.lora.dIn)
            problems.push_back("metadata.json: FiLM weight '" + fl.name + "' has shape [" + std::to_string(fl.shape[0]) +
                               "," + std::to_string(fl.shape[1]) + "], LoRA expects [d_out=" +
                               std::to_string(info.lora.dOut) + ", d_in=" + std::to_string(info.lora.dIn) + "]");
        const std::uint64_t bytes = static_cast<std::uint64_t>(info.lora.dOut) * static_cast<std::uint64_t>(info.lora.dIn) * 4u;
        if (!ec && fl.offsetBytes + bytes > fileBytes)
            problems.push_back(info.filmFile + ": too short for FiLM weight '" + fl.name + "' (needs " +
                               std::to_string(fl.offsetBytes + bytes) + " bytes, has " + std::to_string(fileBytes) + ")");
        info.filmLayers.push_back(fl);
    }
    if (info.filmLayers.size() != info.lora.layers.size())
        problems.push_back("metadata.json: film_weights lists " + std::to_string(info.filmLayers.size()) +
                           " layers, lora.layers lists " + std::to_string(info.lora.layers.size()));
}

// models.converter.bank.knots_hz: optional for the engine (it only overrides initializers), needed by a bank
// builder (the zero-shot enroller), which says so when it is missing.
void parseBankKnots(const json& bank, ModelFolderInfo& info, std::vector<std::string>& problems) {
    auto it = bank.find("knots_hz");
    if (it == bank.end() || it->is_null()) return;
    bool ok = it->is_array();
    std::vector<double> knots;
    if (ok) {
        for (const json& v : *it) {
            if (!v.is_number() || !std::isfinite(v.get<double>())) {
                ok = false;
                break;
            }
            knots.push_back(v.get<double>());
        }
    }
    if (!ok) {
        problems.push_back("metadata.json: models.converter.bank.knots_hz must be an array of finite numbers (Hz)");
        return;
    }
    info.bank.knotsHz = std::move(knots);
}

// models.converter.bank: absent = no bank; present = frames, key_size, value_size, k as the engine was built for.
void parseBank(const json& meta, ModelFolderInfo& info, std::vector<std::string>& problems) {
    auto models = meta.find("models");
    if (models == meta.end() || !models->is_object()) return;
    auto conv = models->find("converter");
    if (conv == models->end() || !conv->is_object()) return;
    auto it = conv->find("bank");
    if (it == conv->end() || it->is_null()) return;
    long long frames = 0, keySize = 0, valueSize = 0, k = 0;
    if (!it->is_object() || !getInt(*it, "frames", frames) || !getInt(*it, "key_size", keySize) ||
        !getInt(*it, "value_size", valueSize)) {
        problems.push_back("metadata.json: 'models.converter.bank' needs integers frames, key_size and value_size");
        return;
    }
    getInt(*it, "k", k);
    if (frames != c::kBankFrames)
        problems.push_back("metadata.json: models.converter.bank.frames is " + std::to_string(frames) +
                           ", this engine was built for bank_frames = " + std::to_string(c::kBankFrames) +
                           " (re-export the models with the same configs/constants.yaml)");
    if (keySize != c::kDContent - 1)
        problems.push_back("metadata.json: models.converter.bank.key_size is " + std::to_string(keySize) +
                           ", expected d_content - 1 = " + std::to_string(c::kDContent - 1));
    if (valueSize <= 0 || valueSize > (1 << 16))
        problems.push_back("metadata.json: models.converter.bank.value_size " + std::to_string(valueSize) +
                           " is out of range (1 ... 65536)");
    info.bank.present = true;
    info.bank.frames = static_cast<int>(frames);
    info.bank.keySize = static_cast<int>(keySize);
    info.bank.valueSize = static_cast<int>(valueSize);
    info.bank.k = static_cast<int>(k);
    parseBankKnots(*it, info, problems);
}

void parseMetadata(const json& meta, const fs::path& dir, ModelFolderInfo& info, std::vector<std::string>& problems) {
    auto hash = meta.find("constants_hash");
    if (hash == meta.end() || !hash->is_string()) {
        problems.push_back("metadata.json: missing string 'constants_hash'");
    } else {
        info.constantsHash = hash->get<std::string>();
        if (info.constantsHash != c::kConstantsHash)
            problems.push_back("constants hash mismatch: the model folder was exported with " + info.constantsHash +
                               ", this engine was built with " + c::kConstantsHash +
                               " (re-export the models or rebuild the engine from the same configs/constants.yaml)");
    }
    long long version = 0;
    if (!getInt(meta, "contract_version", version)) {
        problems.push_back("metadata.json: missing integer 'contract_version'");
    } else {
        info.contractVersion = static_cast<int>(version);
        if (version != c::kContractVersion)
            problems.push_back("contract version mismatch: model folder has " + std::to_string(version) +
                               ", engine expects " + std::to_string(c::kContractVersion));
    }
    auto id = meta.find("model_id");
    if (id == meta.end() || !id->is_string() || id->get<std::string>().empty())
        problems.push_back("metadata.json: missing string 'model_id'");
    else
        info.modelId = id->get<std::string>();
    parseLora(meta, info, problems);
    if (info.lora.validate().empty()) parseFilm(meta, dir, info, problems);
    parseBank(meta, info, problems);
}

}  // namespace

const char* modelRoleName(ModelRole role) noexcept {
    switch (role) {
        case ModelRole::ContentEncoder: return "content_encoder";
        case ModelRole::IrEstimator: return "ir_estimator";
        case ModelRole::SpeakerEncoder: return "speaker_encoder";
        case ModelRole::Converter: return "converter";
        case ModelRole::ConverterHq: return "converter_hq";
        case ModelRole::Vocoder: return "vocoder";
    }
    return "unknown";
}

std::string modelFileName(ModelRole role) { return std::string(modelRoleName(role)) + ".onnx"; }

ModelSpec contractSpec(ModelRole role, std::int64_t loraSize) {
    const std::vector<std::int64_t> state = {1, kAnyDim, kAnyDim};
    ModelSpec s;
    s.model = modelRoleName(role);
    s.stateInput = "state_in";
    s.stateOutput = "state_out";
    switch (role) {
        case ModelRole::ContentEncoder:
            s.inputs = {{"mel_frame", {1, c::kNMels, 1}}, {"f0", {1, 1, 1}}, {"state_in", state}};
            s.outputs = {{"content", {1, c::kDContent, 1}}, {"state_out", state}};
            break;
        case ModelRole::IrEstimator:
            s.inputs = {{"mel_chunk", {1, c::kNMels, kDynamicDim}}, {"state_in", state}};
            s.outputs = {{"acoustic_params", {1, c::kNAcousticParams}}, {"state_out", state}};
            s.defaultDynamicLength = c::kIrUpdateInterval;
            break;
        case ModelRole::SpeakerEncoder:
            s.inputs = {{"mel_ref", {1, c::kNMels, kDynamicDim}}};
            s.outputs = {{"spk_embed", {1, c::kDSpeaker}}, {"lora_delta", {1, loraSize > 0 ? loraSize : kAnyDim}}};
            s.stateInput.clear();
            s.stateOutput.clear();
            s.defaultDynamicLength =
                static_cast<std::int64_t>(c::kSpeakerMinSeconds * c::kSampleRate / c::kHopLength);
            break;
        case ModelRole::Converter:
        case ModelRole::ConverterHq: {
            const std::int64_t frames = role == ModelRole::Converter ? 1 : 1 + c::kMaxLookaheadHops;
            s.inputs = {{"content", {1, c::kDContent, frames}},
                        {"spk_embed", {1, c::kDSpeaker}},
                        {"acoustic_params", {1, c::kNAcousticParams}},
                        {"state_in", state}};
            s.outputs = {{"pred_features", {1, c::kNFreqBins, 1}}, {"state_out", state}};
            break;
        }
        case ModelRole::Vocoder:
            s.inputs = {{"features", {1, c::kNFreqBins, 1}}, {"state_in", state}};
            s.outputs = {{"stft_mag", {1, c::kNFreqBins, 1}}, {"stft_phase", {1, c::kNFreqBins, 1}}, {"state_out", state}};
            break;
    }
    return s;
}

std::string ModelFolderInfo::modelPath(ModelRole role, bool int8) const {
    const bool quantised = int8 && role != ModelRole::SpeakerEncoder && role != ModelRole::ConverterHq;
    fs::path p = fs::path(dir);
    if (quantised) p /= "int8";
    return (p / modelFileName(role)).string();
}

std::string ModelFolderCheck::message() const {
    std::string m;
    for (const std::string& p : problems) m += (m.empty() ? "" : "\n") + p;
    return m;
}

ModelFolderCheck checkModelFolder(const std::string& dir, bool int8) {
    ModelFolderCheck check;
    check.info.dir = dir;
    try {
        const fs::path d(dir);
        std::error_code ec;
        if (!fs::is_directory(d, ec)) {
            check.problems.push_back(dir + ": not a model folder (no such directory)");
            return check;
        }
        for (ModelRole r : kRequiredRoles) {
            if (!isFile(d / modelFileName(r))) check.problems.push_back(dir + ": missing " + modelFileName(r));
            if (int8 && !isFile(d / "int8" / modelFileName(r)))
                check.problems.push_back(dir + ": missing int8/" + modelFileName(r) + " (INT8 requested)");
        }
        if (!isFile(d / "constants.yaml")) check.problems.push_back(dir + ": missing constants.yaml");
        check.info.hasSpeakerEncoder = isFile(d / modelFileName(ModelRole::SpeakerEncoder));
        check.info.hasConverterHq = isFile(d / modelFileName(ModelRole::ConverterHq));
        check.info.hasInt8 = isFile(d / "int8" / modelFileName(ModelRole::Converter));
        const fs::path metaPath = d / "metadata.json";
        if (!isFile(metaPath)) {
            check.problems.push_back(dir + ": missing metadata.json");
            return check;
        }
        std::string err;
        const std::string text = readText(metaPath, kMaxMetadataBytes, err);
        if (!err.empty()) {
            check.problems.push_back(err);
            return check;
        }
        const json meta = json::parse(text, nullptr, false);
        if (meta.is_discarded() || !meta.is_object()) {
            check.problems.push_back(metaPath.string() + ": not a valid JSON object");
            return check;
        }
        parseMetadata(meta, d, check.info, check.problems);
    } catch (const std::exception& e) {
        check.problems.push_back(dir + ": unreadable model folder (" + e.what() + ")");
    }
    return check;
}

std::string readFilmWeights(const ModelFolderInfo& info, std::vector<FilmWeight>& out) {
    std::ifstream f(info.filmFile, std::ios::binary);
    if (!f) return info.filmFile + ": cannot open";
    const std::size_t count = static_cast<std::size_t>(info.lora.dOut) * static_cast<std::size_t>(info.lora.dIn);
    std::vector<FilmWeight> result;
    for (const FilmLayerInfo& l : info.filmLayers) {
        FilmWeight w;
        w.name = l.name;
        w.values.resize(count);
        f.seekg(static_cast<std::streamoff>(l.offsetBytes));
        if (!f.read(reinterpret_cast<char*>(w.values.data()), static_cast<std::streamsize>(count * sizeof(float))))
            return info.filmFile + ": truncated at FiLM weight '" + l.name + "'";
        result.push_back(std::move(w));
    }
    out = std::move(result);
    return {};
}

}  // namespace tmrvc
