// libFuzzer harness: the `.tmrvc_speaker` v2/v3 reader (parseSpeakerFile) on arbitrary bytes.
// Nothing may crash, leak or read out of bounds (ASan+UBSan), and an accepted file must be self-consistent.
// Each input is parsed as it is and again with its last 32 bytes replaced by the right SHA-256, so that mutations
// get past the checksum into the payload and metadata checks.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "tmrvc/speaker_file.h"

namespace {

std::uint32_t headerField(const std::uint8_t* data, std::size_t at) {
    std::uint32_t v = 0;
    std::memcpy(&v, data + at, sizeof(v));  // the file and the host are little-endian
    return v;
}

// An accepted file must match its own header and hold only finite values; otherwise the reader is wrong.
void checkAccepted(const tmrvc::SpeakerReadResult& r, const std::uint8_t* data, std::size_t size) {
    if (!r.ok) {
        if (r.error.empty()) std::abort();  // a rejection must say why
        return;
    }
    if (size < tmrvc::kSpeakerHeaderBytes + tmrvc::kSpeakerDigestBytes) std::abort();
    if (r.speaker.embedding.size() != headerField(data, 8)) std::abort();
    if (r.speaker.loraDelta.size() != headerField(data, 12)) std::abort();
    if (r.speaker.metadataJson.size() != headerField(data, 16)) std::abort();
    for (float v : r.speaker.embedding)
        if (!std::isfinite(v)) std::abort();
    for (float v : r.speaker.loraDelta)
        if (!std::isfinite(v)) std::abort();
    const tmrvc::SpeakerProfile& sp = r.speaker;
    const bool v3 = headerField(data, 4) == tmrvc::kSpeakerFileBankVersion;
    if (v3 && (sp.bankFrames != headerField(data, 20) || sp.bankKeySize != headerField(data, 24) ||
               sp.bankValueSize != headerField(data, 28)))
        std::abort();
    if (!v3 && (sp.bankFrames != 0 || !sp.bankKeys.empty() || !sp.bankValues.empty())) std::abort();
    if (sp.bankFrames > static_cast<std::size_t>(tmrvc::constants::kBankFrames)) std::abort();
    if (sp.hasBank() && sp.bankFrames < static_cast<std::size_t>(tmrvc::constants::kBankMinFrames)) std::abort();
    if (sp.bankKeys.size() != sp.bankFrames * sp.bankKeySize) std::abort();
    if (sp.bankValues.size() != sp.bankFrames * sp.bankValueSize) std::abort();
    for (float v : sp.bankKeys)
        if (!std::isfinite(v)) std::abort();
    for (float v : sp.bankValues)
        if (!std::isfinite(v)) std::abort();
    if (!std::isfinite(r.speaker.f0LogMean) || !std::isfinite(r.speaker.f0LogStd)) std::abort();
}

void parseWithBothExpectations(const std::uint8_t* data, std::size_t size) {
    // 1. What the engine asks for after loading a model folder: embedding size, LoRA size and a model_id.
    tmrvc::SpeakerExpectation strict;
    strict.loraSize = 960;
    strict.modelId = "d8b0ab795340a9c4f9d060934c7e9763b0c1b85a9ad0c4124952c15e514ecb4b";
    checkAccepted(tmrvc::parseSpeakerFile(data, size, strict), data, size);
    // 2. Everything unchecked (sizes 0 skip their checks), a foreign model_id allowed: reaches the deepest code.
    tmrvc::SpeakerExpectation loose;
    loose.embedSize = 0;
    loose.allowModelIdMismatch = true;
    loose.modelId = "another-model";
    checkAccepted(tmrvc::parseSpeakerFile(data, size, loose), data, size);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    parseWithBothExpectations(data, size);
    if (size < tmrvc::kSpeakerHeaderBytes + tmrvc::kSpeakerDigestBytes) return 0;
    std::vector<std::uint8_t> resigned(data, data + size);
    const std::size_t body = size - tmrvc::kSpeakerDigestBytes;
    const std::array<std::uint8_t, 32> digest = tmrvc::sha256(resigned.data(), body);
    std::memcpy(resigned.data() + body, digest.data(), digest.size());
    parseWithBothExpectations(resigned.data(), resigned.size());
    return 0;
}
