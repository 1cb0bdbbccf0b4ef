#include "tmrvc/speaker_file.h"

#include <openssl/evp.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <nlohmann/json.hpp>

namespace tmrvc {

using nlohmann::json;

namespace {

// Upper bound on a plausible file: 16 M floats of payload plus metadata.
constexpr std::size_t kMaxSpeakerFileBytes = (64u << 20) + constants::kSpeakerMetaMaxBytes;

std::uint32_t readU32(const std::uint8_t* p) noexcept {
    return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
           (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

bool readFloats(const std::uint8_t* p, std::size_t n, std::vector<float>& out) {
    out.resize(n);
    if (n > 0) std::memcpy(out.data(), p, n * sizeof(float));  // file and host are little-endian (x86-64, arm64)
    for (float v : out)
        if (!std::isfinite(v)) return false;
    return true;
}

// The contract's rules for a bank whose floats are already read (sizes consistent with the file); "" when valid.
std::string checkBank(const SpeakerProfile& sp) {
    const std::size_t n = sp.bankFrames;
    if (n > 0 && n < static_cast<std::size_t>(constants::kBankMinFrames))
        return "speaker bank has " + std::to_string(n) + " frames, fewer than bank_min_frames = " +
               std::to_string(constants::kBankMinFrames) + " (enrol more voiced speech)";
    if (sp.bankKeySize != kBankKeySize)
        return "speaker bank key size " + std::to_string(sp.bankKeySize) + ", expected d_content - 1 = " +
               std::to_string(kBankKeySize);
    if (n > 0 && sp.bankValueSize == 0) return "speaker bank value size is 0";
    for (float v : sp.bankKeys)
        if (!std::isfinite(v)) return "speaker bank keys hold NaN or Inf";
    for (float v : sp.bankValues)
        if (!std::isfinite(v)) return "speaker bank values hold NaN or Inf";
    for (std::size_t i = 0; i < n; ++i) {
        double sq = 0.0;
        for (std::size_t k = 0; k < sp.bankKeySize; ++k) {
            const double x = sp.bankKeys[i * sp.bankKeySize + k];
            sq += x * x;
        }
        const double norm = std::sqrt(sq);
        if (std::fabs(norm - 1.0) > kBankKeyNormTolerance)
            return "speaker bank key row " + std::to_string(i) + " has norm " + std::to_string(norm) +
                   ", not 1 +- 1e-3 (keys must be L2-normalised)";
    }
    return {};
}

SpeakerReadResult fail(std::string why) {
    SpeakerReadResult r;
    r.error = std::move(why);
    return r;
}

// Fills the metadata fields; "" on success.
std::string parseMetadata(const std::string& text, SpeakerProfile& sp) {
    const json meta = json::parse(text, nullptr, false);
    if (meta.is_discarded()) return "metadata is not valid JSON";
    if (!meta.is_object()) return "metadata JSON is not an object";
    auto str = [&](const char* key, std::string& out, bool required) -> std::string {
        auto it = meta.find(key);
        if (it == meta.end() || it->is_null()) return required ? std::string("metadata lacks '") + key + "'" : "";
        if (!it->is_string()) return std::string("metadata '") + key + "' is not a string";
        out = it->get<std::string>();
        return {};
    };
    auto num = [&](const char* key, double& out) -> std::string {
        auto it = meta.find(key);
        if (it == meta.end() || !it->is_number()) return std::string("metadata lacks the number '") + key + "'";
        out = it->get<double>();
        if (!std::isfinite(out)) return std::string("metadata '") + key + "' is not finite";
        return {};
    };
    std::string err = str("name", sp.name, true);
    if (err.empty()) err = str("model_id", sp.modelId, true);
    if (err.empty()) err = str("created_at", sp.createdAt, false);
    if (err.empty()) err = num("f0_log_mean", sp.f0LogMean);
    if (err.empty()) err = num("f0_log_std", sp.f0LogStd);
    if (!err.empty()) return err;
    auto preset = meta.find("voice_source_preset");
    if (preset != meta.end() && !preset->is_null()) {
        if (!preset->is_array() || preset->size() != sp.voiceSourcePreset.size())
            return "metadata 'voice_source_preset' must be a list of " + std::to_string(sp.voiceSourcePreset.size()) +
                   " numbers";
        for (std::size_t i = 0; i < sp.voiceSourcePreset.size(); ++i) {
            const json& v = (*preset)[i];
            if (!v.is_number() || !std::isfinite(v.get<double>()))
                return "metadata 'voice_source_preset' holds a non-finite or non-number value";
            sp.voiceSourcePreset[i] = v.get<float>();
        }
        sp.hasVoiceSourcePreset = true;
    }
    return {};
}

}  // namespace

std::array<std::uint8_t, 32> sha256(const std::uint8_t* data, std::size_t size) {
    std::array<std::uint8_t, 32> digest{};
    unsigned int len = 0;
    EVP_Digest(data, size, digest.data(), &len, EVP_sha256(), nullptr);
    return digest;
}

SpeakerReadResult parseSpeakerFile(const std::uint8_t* data, std::size_t size, const SpeakerExpectation& expect) {
    if (size < 4 || std::memcmp(data, "TMSP", 4) != 0) return fail("not a .tmrvc_speaker file (wrong magic)");
    if (size < kSpeakerHeaderBytes + kSpeakerDigestBytes)
        return fail("truncated: " + std::to_string(size) + " bytes, shorter than header + checksum");
    const std::uint32_t version = readU32(data + 4);
    if (version != kSpeakerFileVersion && version != kSpeakerFileBankVersion)
        return fail("unknown speaker file version " + std::to_string(version) + " (this engine reads versions " +
                    std::to_string(kSpeakerFileVersion) + " and " + std::to_string(kSpeakerFileBankVersion) + ")");
    const bool bank = version == kSpeakerFileBankVersion;
    const std::size_t headerBytes = bank ? kSpeakerBankHeaderBytes : kSpeakerHeaderBytes;
    if (size < headerBytes + kSpeakerDigestBytes)
        return fail("truncated: " + std::to_string(size) + " bytes, shorter than the version " +
                    std::to_string(version) + " header + checksum");
    const std::uint64_t embedSize = readU32(data + 8), loraSize = readU32(data + 12), metaSize = readU32(data + 16);
    const std::uint64_t bankFrames = bank ? readU32(data + 20) : 0, keySize = bank ? readU32(data + 24) : 0,
                        valueSize = bank ? readU32(data + 28) : 0;
    if (metaSize > static_cast<std::uint64_t>(constants::kSpeakerMetaMaxBytes))
        return fail("metadata too large: " + std::to_string(metaSize) + " bytes (limit " +
                    std::to_string(constants::kSpeakerMetaMaxBytes) + ")");
    if (bankFrames > static_cast<std::uint64_t>(constants::kBankFrames))
        return fail("speaker bank has " + std::to_string(bankFrames) + " frames, more than bank_frames = " +
                    std::to_string(constants::kBankFrames));
    if (expect.embedSize != 0 && embedSize != expect.embedSize)
        return fail("embedding size " + std::to_string(embedSize) + " does not match the models' " +
                    std::to_string(expect.embedSize));
    if (expect.loraSize != 0 && loraSize != expect.loraSize)
        return fail("LoRA size " + std::to_string(loraSize) + " does not match the loaded models' " +
                    std::to_string(expect.loraSize));
    if (bank && expect.bankValueSize != 0 && valueSize != expect.bankValueSize)
        return fail("speaker bank value size " + std::to_string(valueSize) + " does not match the loaded models' " +
                    std::to_string(expect.bankValueSize));
    // Each u32 product stays below 2^64: bankFrames <= kBankFrames was checked above.
    const std::uint64_t bankFloats = bankFrames * (keySize + valueSize);
    const std::uint64_t want = headerBytes + 4 * (embedSize + loraSize + bankFloats) + metaSize + kSpeakerDigestBytes;
    if (size < want)
        return fail("truncated: " + std::to_string(size) + " bytes, the header promises " + std::to_string(want));
    if (size > want)
        return fail("size mismatch: " + std::to_string(size) + " bytes, the header promises " + std::to_string(want));
    const std::array<std::uint8_t, 32> digest = sha256(data, size - kSpeakerDigestBytes);
    if (std::memcmp(digest.data(), data + size - kSpeakerDigestBytes, kSpeakerDigestBytes) != 0)
        return fail("checksum mismatch (SHA-256): the file is corrupt");
    SpeakerReadResult r;
    SpeakerProfile& sp = r.speaker;
    const std::uint8_t* p = data + headerBytes;
    if (!readFloats(p, static_cast<std::size_t>(embedSize), sp.embedding)) return fail("embedding holds NaN or Inf");
    p += 4 * embedSize;
    if (!readFloats(p, static_cast<std::size_t>(loraSize), sp.loraDelta)) return fail("LoRA delta holds NaN or Inf");
    p += 4 * loraSize;
    if (bank) {
        sp.bankFrames = static_cast<std::size_t>(bankFrames);
        sp.bankKeySize = static_cast<std::size_t>(keySize);
        sp.bankValueSize = static_cast<std::size_t>(valueSize);
        readFloats(p, static_cast<std::size_t>(bankFrames * keySize), sp.bankKeys);  // finiteness: checkBank
        p += 4 * bankFrames * keySize;
        readFloats(p, static_cast<std::size_t>(bankFrames * valueSize), sp.bankValues);
        p += 4 * bankFrames * valueSize;
        const std::string err = checkBank(sp);
        if (!err.empty()) return fail(err);
    }
    sp.metadataJson.assign(reinterpret_cast<const char*>(p), static_cast<std::size_t>(metaSize));
    std::string err;
    try {
        err = parseMetadata(sp.metadataJson, sp);
    } catch (const std::exception& e) {
        err = std::string("metadata unreadable: ") + e.what();
    }
    if (!err.empty()) return fail(err);
    if (!expect.modelId.empty() && sp.modelId != expect.modelId) {
        r.modelIdMismatch = true;
        const std::string msg = "model_id mismatch: speaker '" + sp.name + "' was enrolled for model " + sp.modelId +
                                ", the loaded models are " + expect.modelId;
        if (!expect.allowModelIdMismatch) {
            r.error = msg + " (override to load it anyway)";
            return r;
        }
        r.warning = msg;
    }
    r.ok = true;
    return r;
}

SpeakerReadResult readSpeakerFile(const std::string& path, const SpeakerExpectation& expect) {
    try {
        std::ifstream f(path, std::ios::binary | std::ios::ate);
        if (!f) return fail(path + ": cannot open");
        const std::streamoff n = f.tellg();
        if (n < 0) return fail(path + ": cannot read");
        if (static_cast<std::size_t>(n) > kMaxSpeakerFileBytes)
            return fail(path + ": " + std::to_string(n) + " bytes is too large for a speaker file");
        std::vector<std::uint8_t> bytes(static_cast<std::size_t>(n));
        f.seekg(0);
        if (n > 0 && !f.read(reinterpret_cast<char*>(bytes.data()), n)) return fail(path + ": read failed");
        SpeakerReadResult r = parseSpeakerFile(bytes.data(), bytes.size(), expect);
        if (!r.error.empty()) r.error = path + ": " + r.error;
        return r;
    } catch (const std::exception& e) {
        return fail(path + ": " + e.what());
    }
}

}  // namespace tmrvc
