// `.tmrvc_speaker` reader, versions 2 and 3 (docs: onnx-contract.md, speaker-bank.md). Little-endian: magic "TMSP",
// version, embed_size, lora_size, meta_size (u32 each), [v3: bank_frames, bank_key_size, bank_value_size (u32)],
// spk_embed, lora_delta (float32), [v3: bank keys [n, key_size], bank values [n, value_size] (float32)], metadata
// JSON (UTF-8), SHA-256 of all preceding bytes. Never throws; every rejection names the problem.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tmrvc/constants.h"

namespace tmrvc {

inline constexpr std::uint32_t kSpeakerFileVersion = 2;      // no bank (what writers without a bank write)
inline constexpr std::uint32_t kSpeakerFileBankVersion = 3;  // with a speaker bank
inline constexpr std::size_t kSpeakerHeaderBytes = 20;       // version 2
inline constexpr std::size_t kSpeakerBankHeaderBytes = 32;   // version 3
inline constexpr std::size_t kBankKeySize = static_cast<std::size_t>(constants::kDContent) - 1;
inline constexpr double kBankKeyNormTolerance = 1e-3;
inline constexpr std::size_t kSpeakerDigestBytes = 32;

struct SpeakerProfile {
    std::vector<float> embedding;  // [embed_size]
    std::vector<float> loraDelta;  // [lora_size]
    std::string name;
    std::string modelId;
    std::string createdAt;
    double f0LogMean = 0.0;
    double f0LogStd = 0.0;
    bool hasVoiceSourcePreset = false;
    std::array<float, constants::kNVoiceSourceParams> voiceSourcePreset{};
    std::string metadataJson;  // the raw JSON
    // Speaker bank (version 3): bankFrames rows of keys (L2-normalised content) and values (H then N knots).
    // bankFrames == 0: no bank (a version 2 file, or a version 3 file with an empty bank).
    std::size_t bankFrames = 0;
    std::size_t bankKeySize = 0;
    std::size_t bankValueSize = 0;
    std::vector<float> bankKeys;    // [bankFrames, bankKeySize], row-major
    std::vector<float> bankValues;  // [bankFrames, bankValueSize], row-major
    bool hasBank() const noexcept { return bankFrames > 0; }
};

// What the loaded models expect. A size of 0 skips that check; an empty modelId skips the model_id check.
struct SpeakerExpectation {
    std::size_t embedSize = constants::kDSpeaker;
    std::size_t loraSize = 0;
    std::string modelId;
    bool allowModelIdMismatch = false;  // accept a foreign model_id (a warning instead of an error)
    std::size_t bankValueSize = 0;      // the converter's bank V; 0 skips the check (models without a bank)
};

struct SpeakerReadResult {
    bool ok = false;
    std::string error;           // why it was rejected ("" when ok)
    std::string warning;         // e.g. an overridden model_id mismatch
    bool modelIdMismatch = false;
    SpeakerProfile speaker;
};

SpeakerReadResult parseSpeakerFile(const std::uint8_t* data, std::size_t size, const SpeakerExpectation& expect);
SpeakerReadResult readSpeakerFile(const std::string& path, const SpeakerExpectation& expect);

// SHA-256 (OpenSSL EVP) of data: 32 bytes. Exposed for writers and tests.
std::array<std::uint8_t, 32> sha256(const std::uint8_t* data, std::size_t size);

}  // namespace tmrvc
