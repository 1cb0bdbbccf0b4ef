// `.tmrvc_speaker` version 2 reader (docs: onnx-contract.md). Little-endian: magic "TMSP", version, embed_size,
// lora_size, meta_size (u32 each), spk_embed, lora_delta (float32), metadata JSON (UTF-8), SHA-256 of all
// preceding bytes. Never throws; every rejection names the problem.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "tmrvc/constants.h"

namespace tmrvc {

inline constexpr std::uint32_t kSpeakerFileVersion = 2;
inline constexpr std::size_t kSpeakerHeaderBytes = 20;
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
};

// What the loaded models expect. A size of 0 skips that check; an empty modelId skips the model_id check.
struct SpeakerExpectation {
    std::size_t embedSize = constants::kDSpeaker;
    std::size_t loraSize = 0;
    std::string modelId;
    bool allowModelIdMismatch = false;  // accept a foreign model_id (a warning instead of an error)
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
