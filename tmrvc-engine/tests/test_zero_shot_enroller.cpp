// The C++ zero-shot enroller's speaker bank on the tiny real model folder: a version-3 file whose bank the engine's
// reader accepts, progress that covers the bank step (reported many times, rising to 1) and a cancel that stops
// it mid-bank; withBank false still writes version 2. (Equality with the Python builder: tests/python.)
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "tmrvc/model_folder.h"
#include "tmrvc/speaker_file.h"
#include "tmrvc/zero_shot_enroller.h"

namespace tmrvc {
namespace {

std::string tinyModels() { return TMRVC_TINY_MODELS; }

// 3 x 3.5 s of a harmonic "voice" at 44.1 kHz: 1050 frames, all with sound.
std::vector<EnrolmentClip> voiceClips() {
    std::vector<EnrolmentClip> clips;
    for (int c = 0; c < 3; ++c) {
        EnrolmentClip clip{std::vector<float>(44100 * 7 / 2), 44100};
        double ph = 0.0;
        for (std::size_t i = 0; i < clip.samples.size(); ++i) {
            const double f0 = 160.0 + 20.0 * c + 10.0 * std::sin(1e-4 * static_cast<double>(i));
            ph += 2.0 * 3.14159265358979 * f0 / 44100.0;
            double v = 0.0;
            for (int k = 1; k < 20; ++k) v += std::sin(k * ph) / (k * (1.0 + std::abs(k * 180.0 - 700.0) / 300.0));
            clip.samples[i] = static_cast<float>(0.3 * v);
        }
        clips.push_back(std::move(clip));
    }
    return clips;
}

class ZeroShotBank : public ::testing::Test {
protected:
    void SetUp() override {
        const ModelFolderCheck folder = checkModelFolder(tinyModels());
        ASSERT_TRUE(folder.ok()) << folder.message();
        if (!folder.info.bank.present) GTEST_FAIL() << "the tiny model folder should have a speaker bank";
        info_ = folder.info;
    }
    ModelFolderInfo info_;
};

TEST_F(ZeroShotBank, WritesAVersion3FileWithTheBankAndReportsProgressThroughIt) {
    std::vector<double> fractions;
    const ZeroShotEnrolment r = enrolZeroShot(tinyModels(), voiceClips(), "banked", "2026-01-01T00:00:00Z",
                                              [&fractions](double f) {
                                                  fractions.push_back(f);
                                                  return true;
                                              });
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.bank.frames, 1050);
    EXPECT_EQ(r.bank.valueSize, info_.bank.valueSize);
    EXPECT_EQ(r.bank.valueSize, 2 * static_cast<int>(info_.bank.knotsHz.size()));
    EXPECT_NE(r.metadataJson.find("\"bank_frames\": 1050"), std::string::npos) << r.metadataJson;
    ASSERT_GE(r.fileBytes.size(), 8u);
    EXPECT_EQ(r.fileBytes[4], kSpeakerFileBankVersion);
    SpeakerExpectation expect;
    expect.loraSize = info_.lora.size();
    expect.bankValueSize = static_cast<std::size_t>(info_.bank.valueSize);
    const SpeakerReadResult back = parseSpeakerFile(r.fileBytes.data(), r.fileBytes.size(), expect);
    ASSERT_TRUE(back.ok) << back.error;
    EXPECT_EQ(back.speaker.bankFrames, 1050u);
    EXPECT_EQ(back.speaker.bankValues, r.bank.values);
    // One report per 32 hops at least: the bank step (one ORT run per hop) is not a silent stretch.
    EXPECT_GE(fractions.size(), 1050u / 32u);
    for (std::size_t i = 1; i < fractions.size(); ++i) ASSERT_GE(fractions[i], fractions[i - 1]) << i;
    EXPECT_LT(fractions.front(), 0.1);
    EXPECT_DOUBLE_EQ(fractions.back(), 1.0);
}

TEST_F(ZeroShotBank, CancelStopsTheBankStep) {
    int calls = 0;
    const ZeroShotEnrolment r = enrolZeroShot(tinyModels(), voiceClips(), "x", "", [&calls](double f) {
        ++calls;
        return f < 0.4;  // within the first clip's bank hops
    });
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error, "cancelled");
    EXPECT_LT(calls, 1050 / 32);
}

TEST_F(ZeroShotBank, WithoutTheBankTheFileStaysVersion2) {
    const ZeroShotEnrolment r = enrolZeroShot(tinyModels(), voiceClips(), "plain", "", {}, 1, false);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(r.bank.frames, 0);
    EXPECT_EQ(r.fileBytes[4], kSpeakerFileVersion);
    EXPECT_EQ(r.metadataJson.find("bank_frames"), std::string::npos);
}

TEST_F(ZeroShotBank, TooLittleSoundForABankIsRefusedWithTheReason) {
    // 10.5 s in three clips, but sound in only 1.5 s of it: the bank needs bank_min_frames (2 s).
    std::vector<EnrolmentClip> clips = voiceClips();
    for (auto& clip : clips)
        for (std::size_t i = 22050; i < clip.samples.size(); ++i) clip.samples[i] = 0.0F;
    const ZeroShotEnrolment r = enrolZeroShot(tinyModels(), clips, "x");
    EXPECT_FALSE(r.ok);
    EXPECT_NE(r.error.find("frames with sound, at least 200 (2 s) needed"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace tmrvc
