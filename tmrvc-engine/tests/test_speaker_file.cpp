// .tmrvc_speaker v2/v3 reader: a valid file round-trips; each single defect is rejected with a message naming it.
// Files are written here (SHA-256 computed with OpenSSL directly, not with the reader's helper).
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "tmrvc/speaker_file.h"

namespace tmrvc {
namespace {

constexpr std::uint32_t kEmbed = 192, kLora = 40;
const char* kMeta = R"({"name": "alice", "created_at": "2026-01-01", "model_id": "abc123", "n_utterances": 3,
 "total_seconds": 9.5, "f0_log_mean": 5.1, "f0_log_std": 0.25,
 "voice_source_preset": [0.1, 0.2, 0.3, 0.4, 0.01, 0.02, 0.5, 0.6]})";

struct Parts {
    std::string magic = "TMSP";
    std::uint32_t version = 2, embedSize = kEmbed, loraSize = kLora;
    std::vector<float> embed = std::vector<float>(kEmbed, 0.0f), lora = std::vector<float>(kLora, 0.0f);
    std::string meta = kMeta;
    bool fixChecksum = true;
    // Version 3 only (written when version == 3).
    std::uint32_t bankFrames = 0, bankKeySize = static_cast<std::uint32_t>(kBankKeySize), bankValueSize = 0;
    std::vector<float> bankKeys, bankValues;
    Parts() {
        for (std::uint32_t i = 0; i < kEmbed; ++i) embed[i] = 0.01f * static_cast<float>(i);
        for (std::uint32_t i = 0; i < kLora; ++i) lora[i] = -0.5f + 0.02f * static_cast<float>(i);
    }
};

void putU32(std::vector<std::uint8_t>& b, std::uint32_t v) {
    for (int k = 0; k < 4; ++k) b.push_back(static_cast<std::uint8_t>(v >> (8 * k)));
}

std::vector<std::uint8_t> build(const Parts& p) {
    std::vector<std::uint8_t> b(p.magic.begin(), p.magic.end());
    putU32(b, p.version);
    putU32(b, p.embedSize);
    putU32(b, p.loraSize);
    putU32(b, static_cast<std::uint32_t>(p.meta.size()));
    if (p.version == 3) {
        putU32(b, p.bankFrames);
        putU32(b, p.bankKeySize);
        putU32(b, p.bankValueSize);
    }
    for (const std::vector<float>* v : {&p.embed, &p.lora, &p.bankKeys, &p.bankValues}) {
        const auto* bytes = reinterpret_cast<const std::uint8_t*>(v->data());
        b.insert(b.end(), bytes, bytes + v->size() * sizeof(float));
    }
    b.insert(b.end(), p.meta.begin(), p.meta.end());
    std::uint8_t digest[SHA256_DIGEST_LENGTH];
    SHA256(b.data(), b.size(), digest);
    b.insert(b.end(), digest, digest + SHA256_DIGEST_LENGTH);
    if (!p.fixChecksum) b[b.size() - 1] ^= 0x01;
    return b;
}

SpeakerExpectation expect(const std::string& modelId = "abc123") {
    SpeakerExpectation e;
    e.embedSize = kEmbed;
    e.loraSize = kLora;
    e.modelId = modelId;
    return e;
}

std::string errorOf(const std::vector<std::uint8_t>& bytes, const SpeakerExpectation& e = expect()) {
    const SpeakerReadResult r = parseSpeakerFile(bytes.data(), bytes.size(), e);
    EXPECT_FALSE(r.ok);
    return r.error;
}

TEST(SpeakerFile, ValidFileRoundTrips) {
    const Parts p;
    const std::vector<std::uint8_t> bytes = build(p);
    const SpeakerReadResult r = parseSpeakerFile(bytes.data(), bytes.size(), expect());
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.speaker.embedding, p.embed);
    EXPECT_EQ(r.speaker.loraDelta, p.lora);
    EXPECT_EQ(r.speaker.name, "alice");
    EXPECT_EQ(r.speaker.modelId, "abc123");
    EXPECT_DOUBLE_EQ(r.speaker.f0LogMean, 5.1);
    EXPECT_DOUBLE_EQ(r.speaker.f0LogStd, 0.25);
    ASSERT_TRUE(r.speaker.hasVoiceSourcePreset);
    EXPECT_FLOAT_EQ(r.speaker.voiceSourcePreset[7], 0.6f);
    EXPECT_TRUE(r.warning.empty());
}

TEST(SpeakerFile, PresetIsOptional) {
    Parts p;
    p.meta = R"({"name": "bob", "model_id": "abc123", "f0_log_mean": 4.8, "f0_log_std": 0.3})";
    const std::vector<std::uint8_t> bytes = build(p);
    const SpeakerReadResult r = parseSpeakerFile(bytes.data(), bytes.size(), expect());
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_FALSE(r.speaker.hasVoiceSourcePreset);
}

TEST(SpeakerFile, WrongMagic) {
    Parts p;
    p.magic = "TMSX";
    EXPECT_NE(errorOf(build(p)).find("wrong magic"), std::string::npos);
}

TEST(SpeakerFile, UnknownVersion) {
    Parts p;
    p.version = 4;
    EXPECT_NE(errorOf(build(p)).find("unknown speaker file version 4"), std::string::npos);
}

TEST(SpeakerFile, SizeMismatchWithTheModels) {
    Parts p;
    p.loraSize = kLora - 4;
    p.lora.resize(kLora - 4);
    EXPECT_NE(errorOf(build(p)).find("LoRA size 36 does not match the loaded models' 40"), std::string::npos);
    Parts q;
    q.embedSize = 191;
    q.embed.resize(191);
    EXPECT_NE(errorOf(build(q)).find("embedding size 191"), std::string::npos);
}

TEST(SpeakerFile, Truncation) {
    std::vector<std::uint8_t> bytes = build(Parts());
    for (std::size_t keep : {std::size_t{3}, std::size_t{30}, bytes.size() / 2, bytes.size() - 1}) {
        std::vector<std::uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(keep));
        const std::string err = errorOf(cut);
        EXPECT_TRUE(err.find("truncated") != std::string::npos || err.find("magic") != std::string::npos) << err;
    }
    bytes.push_back(0);
    EXPECT_NE(errorOf(bytes).find("size mismatch"), std::string::npos);
}

TEST(SpeakerFile, ChecksumMismatch) {
    Parts p;
    p.fixChecksum = false;
    EXPECT_NE(errorOf(build(p)).find("checksum mismatch"), std::string::npos);
    std::vector<std::uint8_t> bytes = build(Parts());
    bytes[40] ^= 0x10;  // flip a bit inside the embedding
    EXPECT_NE(errorOf(bytes).find("checksum mismatch"), std::string::npos);
}

TEST(SpeakerFile, NonFiniteValues) {
    Parts p;
    p.embed[5] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_NE(errorOf(build(p)).find("embedding holds NaN or Inf"), std::string::npos);
    Parts q;
    q.lora[39] = std::numeric_limits<float>::infinity();
    EXPECT_NE(errorOf(build(q)).find("LoRA delta holds NaN or Inf"), std::string::npos);
}

TEST(SpeakerFile, OversizedOrInvalidJson) {
    Parts p;
    p.meta = std::string(static_cast<std::size_t>(constants::kSpeakerMetaMaxBytes) + 1, ' ');
    EXPECT_NE(errorOf(build(p)).find("metadata too large"), std::string::npos);
    Parts q;
    q.meta = "{\"name\": \"x\", ";
    EXPECT_NE(errorOf(build(q)).find("not valid JSON"), std::string::npos);
    Parts r;
    r.meta = R"({"name": "x", "model_id": "abc123", "f0_log_mean": "high", "f0_log_std": 0.3})";
    EXPECT_NE(errorOf(build(r)).find("f0_log_mean"), std::string::npos);
    Parts s;
    s.meta = R"({"name": "x", "model_id": "abc123", "f0_log_mean": 1, "f0_log_std": 0.3, "voice_source_preset": [1]})";
    EXPECT_NE(errorOf(build(s)).find("voice_source_preset"), std::string::npos);
}

TEST(SpeakerFile, ModelIdMismatchIsOverridable) {
    const std::vector<std::uint8_t> bytes = build(Parts());
    SpeakerReadResult r = parseSpeakerFile(bytes.data(), bytes.size(), expect("other-model"));
    EXPECT_FALSE(r.ok);
    EXPECT_TRUE(r.modelIdMismatch);
    EXPECT_NE(r.error.find("model_id mismatch"), std::string::npos);
    SpeakerExpectation e = expect("other-model");
    e.allowModelIdMismatch = true;
    r = parseSpeakerFile(bytes.data(), bytes.size(), e);
    EXPECT_TRUE(r.ok);
    EXPECT_TRUE(r.modelIdMismatch);
    EXPECT_NE(r.warning.find("model_id mismatch"), std::string::npos);
}

TEST(SpeakerFile, FileReaderNamesThePath) {
    const SpeakerReadResult r = readSpeakerFile("/nonexistent/x.tmrvc_speaker", expect());
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("/nonexistent/x.tmrvc_speaker: cannot open"), std::string::npos);
}

// --- version 3: the speaker bank ---

constexpr std::uint32_t kValue = 6;

// A version 3 file with n bank frames: key row i is the unit vector e_(i mod key size), values count up.
Parts bankParts(std::uint32_t n = static_cast<std::uint32_t>(constants::kBankMinFrames)) {
    Parts p;
    p.version = 3;
    p.bankFrames = n;
    p.bankValueSize = kValue;
    p.bankKeys.assign(static_cast<std::size_t>(n) * kBankKeySize, 0.0f);
    for (std::size_t i = 0; i < n; ++i) p.bankKeys[i * kBankKeySize + i % kBankKeySize] = 1.0f;
    p.bankValues.resize(static_cast<std::size_t>(n) * kValue);
    for (std::size_t i = 0; i < p.bankValues.size(); ++i) p.bankValues[i] = 0.001f * static_cast<float>(i) - 1.0f;
    return p;
}

TEST(SpeakerFile, BankRoundTrips) {
    const Parts p = bankParts();
    const std::vector<std::uint8_t> bytes = build(p);
    SpeakerExpectation e = expect();
    e.bankValueSize = kValue;
    const SpeakerReadResult r = parseSpeakerFile(bytes.data(), bytes.size(), e);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_TRUE(r.speaker.hasBank());
    EXPECT_EQ(r.speaker.bankFrames, static_cast<std::size_t>(constants::kBankMinFrames));
    EXPECT_EQ(r.speaker.bankKeySize, kBankKeySize);
    EXPECT_EQ(r.speaker.bankValueSize, kValue);
    EXPECT_EQ(r.speaker.bankKeys, p.bankKeys);
    EXPECT_EQ(r.speaker.bankValues, p.bankValues);
    EXPECT_EQ(r.speaker.loraDelta, p.lora);
    EXPECT_EQ(r.speaker.name, "alice");
}

TEST(SpeakerFile, VersionTwoHasNoBank) {
    const std::vector<std::uint8_t> bytes = build(Parts());
    SpeakerExpectation e = expect();
    e.bankValueSize = kValue;  // models with a bank still read a speaker without one
    const SpeakerReadResult r = parseSpeakerFile(bytes.data(), bytes.size(), e);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_FALSE(r.speaker.hasBank());
    EXPECT_TRUE(r.speaker.bankKeys.empty() && r.speaker.bankValues.empty());
}

TEST(SpeakerFile, EmptyBankIsAccepted) {
    const std::vector<std::uint8_t> bytes = build(bankParts(0));
    const SpeakerReadResult r = parseSpeakerFile(bytes.data(), bytes.size(), expect());
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_FALSE(r.speaker.hasBank());
}

TEST(SpeakerFile, BankTooLarge) {
    // The header alone must be refused: the payload of an oversized bank is never read.
    Parts p = bankParts(2);
    p.bankFrames = static_cast<std::uint32_t>(constants::kBankFrames) + 1;
    EXPECT_NE(errorOf(build(p)).find("3001 frames, more than bank_frames = 3000"), std::string::npos);
    const std::vector<std::uint8_t> full = build(bankParts(static_cast<std::uint32_t>(constants::kBankFrames) + 1));
    EXPECT_NE(errorOf(full).find("more than bank_frames"), std::string::npos);
    const std::vector<std::uint8_t> max = build(bankParts(static_cast<std::uint32_t>(constants::kBankFrames)));
    EXPECT_TRUE(parseSpeakerFile(max.data(), max.size(), expect()).ok);
}

TEST(SpeakerFile, BankTooSmall) {
    for (std::uint32_t n : {1u, static_cast<std::uint32_t>(constants::kBankMinFrames) - 1})
        EXPECT_NE(errorOf(build(bankParts(n))).find("fewer than bank_min_frames = 200"), std::string::npos) << n;
}

TEST(SpeakerFile, BankKeySizeMustBeContentMinusF0) {
    Parts p = bankParts();
    p.bankKeySize = static_cast<std::uint32_t>(kBankKeySize) + 1;
    p.bankKeys.assign(static_cast<std::size_t>(p.bankFrames) * p.bankKeySize, 0.0f);
    for (std::size_t i = 0; i < p.bankFrames; ++i) p.bankKeys[i * p.bankKeySize] = 1.0f;
    EXPECT_NE(errorOf(build(p)).find("key size 256, expected d_content - 1 = 255"), std::string::npos);
}

TEST(SpeakerFile, BankNonFinite) {
    Parts p = bankParts();
    p.bankKeys[3] = std::numeric_limits<float>::quiet_NaN();
    EXPECT_NE(errorOf(build(p)).find("bank keys hold NaN or Inf"), std::string::npos);
    Parts q = bankParts();
    q.bankValues.back() = -std::numeric_limits<float>::infinity();
    EXPECT_NE(errorOf(build(q)).find("bank values hold NaN or Inf"), std::string::npos);
}

TEST(SpeakerFile, BankKeysMustBeUnitNorm) {
    Parts p = bankParts();
    p.bankKeys[17 * kBankKeySize + 17] = 1.0009f;  // inside the tolerance
    const std::vector<std::uint8_t> ok = build(p);
    EXPECT_TRUE(parseSpeakerFile(ok.data(), ok.size(), expect()).ok);
    p.bankKeys[17 * kBankKeySize + 17] = 1.0011f;
    EXPECT_NE(errorOf(build(p)).find("key row 17 has norm 1.0011"), std::string::npos);
    Parts q = bankParts();
    q.bankKeys[0] = 0.0f;  // a zero row
    EXPECT_NE(errorOf(build(q)).find("key row 0 has norm 0"), std::string::npos);
}

TEST(SpeakerFile, BankValueSizeOfOtherModels) {
    SpeakerExpectation e = expect();
    e.bankValueSize = kValue + 2;
    EXPECT_NE(errorOf(build(bankParts()), e).find("bank value size 6 does not match the loaded models' 8"),
              std::string::npos);
}

TEST(SpeakerFile, BankTruncated) {
    std::vector<std::uint8_t> bytes = build(bankParts());
    bytes.resize(40);
    EXPECT_NE(errorOf(bytes).find("truncated"), std::string::npos);
    Parts p = bankParts();
    p.bankFrames += 1;  // header promises one row more than the payload holds
    EXPECT_NE(errorOf(build(p)).find("truncated"), std::string::npos);
}

TEST(SpeakerFile, Sha256MatchesOpenSslOneShot) {
    const std::string text = "abc";
    const auto d = sha256(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
    // FIPS 180-2 test vector for "abc".
    EXPECT_EQ(d[0], 0xba);
    EXPECT_EQ(d[1], 0x78);
    EXPECT_EQ(d[31], 0xad);
}

}  // namespace
}  // namespace tmrvc
