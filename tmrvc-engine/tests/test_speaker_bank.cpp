// Speaker bank overrides: the file's [n, key_size] rows become bank.keys [key_size, frames] (transposed, empty
// columns zero), bank.values [frames, V] (zero rows padded), bank.bias (0 / bank_pad_bias), bank.mix = 1.
#include <gtest/gtest.h>

#include <stdexcept>

#include "tmrvc/constants.h"
#include "tmrvc/speaker_bank.h"

namespace tmrvc {
namespace {

constexpr int kFrames = 8, kKey = 3, kValue = 2;

BankLayout layout() {
    BankLayout l;
    l.present = true;
    l.frames = kFrames;
    l.keySize = kKey;
    l.valueSize = kValue;
    l.k = 2;
    return l;
}

// n rows; key (j, d) = 100 j + d, value (j, v) = -(10 j + v) - 1: every element tells where it came from.
SpeakerProfile speaker(std::size_t n) {
    SpeakerProfile s;
    s.name = "bank";
    s.bankFrames = n;
    s.bankKeySize = kKey;
    s.bankValueSize = kValue;
    for (std::size_t j = 0; j < n; ++j) {
        for (int d = 0; d < kKey; ++d) s.bankKeys.push_back(static_cast<float>(100 * j + static_cast<std::size_t>(d)));
        for (int v = 0; v < kValue; ++v) s.bankValues.push_back(-static_cast<float>(10 * j + static_cast<std::size_t>(v)) - 1.0f);
    }
    return s;
}

const InitializerOverride& named(const std::vector<InitializerOverride>& all, const std::string& name) {
    for (const InitializerOverride& o : all)
        if (o.name == name) return o;
    throw std::runtime_error("no override " + name);
}

TEST(SpeakerBank, LaysOutTransposedAndPadded) {
    std::vector<InitializerOverride> out;
    ASSERT_EQ(appendBankOverrides(layout(), speaker(5), out), "");
    ASSERT_EQ(out.size(), 5u);
    const InitializerOverride& keys = named(out, "bank.keys");
    EXPECT_EQ(keys.shape, (std::vector<std::int64_t>{kKey, kFrames}));
    for (int d = 0; d < kKey; ++d)
        for (int j = 0; j < kFrames; ++j)
            EXPECT_EQ(keys.values[static_cast<std::size_t>(d * kFrames + j)], j < 5 ? static_cast<float>(100 * j + d) : 0.0f)
                << d << "," << j;
    const InitializerOverride& values = named(out, "bank.values");
    EXPECT_EQ(values.shape, (std::vector<std::int64_t>{kFrames, kValue}));
    for (int j = 0; j < kFrames; ++j)
        for (int v = 0; v < kValue; ++v)
            EXPECT_EQ(values.values[static_cast<std::size_t>(j * kValue + v)], j < 5 ? -static_cast<float>(10 * j + v) - 1.0f : 0.0f);
    const InitializerOverride& bias = named(out, "bank.bias");
    EXPECT_EQ(bias.shape, (std::vector<std::int64_t>{kFrames}));
    for (int j = 0; j < kFrames; ++j)
        EXPECT_EQ(bias.values[static_cast<std::size_t>(j)], j < 5 ? 0.0f : static_cast<float>(constants::kBankPadBias));
    const InitializerOverride& voiced = named(out, "bank.voiced");  // every row's H and N differ: all voiced
    EXPECT_EQ(voiced.shape, (std::vector<std::int64_t>{kFrames}));
    for (int j = 0; j < kFrames; ++j) EXPECT_EQ(voiced.values[static_cast<std::size_t>(j)], j < 5 ? 1.0f : 0.0f);
    const InitializerOverride& mix = named(out, "bank.mix");
    EXPECT_EQ(mix.shape, (std::vector<std::int64_t>{1}));
    EXPECT_EQ(mix.values, (std::vector<float>{1.0f}));
}

TEST(SpeakerBank, UnvoicedRowsAreThoseWithEqualEnvelopes) {
    SpeakerProfile s = speaker(4);
    const std::size_t half = static_cast<std::size_t>(kValue) / 2;
    for (std::size_t j : {1u, 3u})  // H = N: what the builders write for an unvoiced frame
        for (std::size_t v = 0; v < half; ++v) s.bankValues[j * kValue + half + v] = s.bankValues[j * kValue + v];
    s.bankValues[2 * kValue + half] = s.bankValues[2 * kValue] + 2.0f * static_cast<float>(constants::kBankVoicedMinGap);
    for (std::size_t v = 1; v < half; ++v) s.bankValues[2 * kValue + half + v] = s.bankValues[2 * kValue + v];
    std::vector<InitializerOverride> out;
    ASSERT_EQ(appendBankOverrides(layout(), s, out), "");
    const std::vector<float>& voiced = named(out, "bank.voiced").values;
    EXPECT_EQ(std::vector<float>(voiced.begin(), voiced.begin() + 4), (std::vector<float>{1.0f, 0.0f, 1.0f, 0.0f}));
}

TEST(SpeakerBank, FullBankHasNoPadding) {
    std::vector<InitializerOverride> out;
    ASSERT_EQ(appendBankOverrides(layout(), speaker(kFrames), out), "");
    for (float b : named(out, "bank.bias").values) EXPECT_EQ(b, 0.0f);
    EXPECT_EQ(named(out, "bank.keys").values.back(), static_cast<float>(100 * (kFrames - 1) + kKey - 1));
}

TEST(SpeakerBank, NothingWithoutABankOnEitherSide) {
    std::vector<InitializerOverride> out;
    EXPECT_EQ(appendBankOverrides(layout(), speaker(0), out), "");
    EXPECT_TRUE(out.empty());
    BankLayout none = layout();
    none.present = false;
    EXPECT_EQ(appendBankOverrides(none, speaker(5), out), "");
    EXPECT_TRUE(out.empty());
}

TEST(SpeakerBank, RefusesABankThatDoesNotFit) {
    std::vector<InitializerOverride> out;
    EXPECT_NE(appendBankOverrides(layout(), speaker(kFrames + 1), out).find("the models hold 8"), std::string::npos);
    SpeakerProfile wide = speaker(4);
    wide.bankValueSize = kValue + 1;
    EXPECT_NE(appendBankOverrides(layout(), wide, out).find("the models' bank takes 3 + 2"), std::string::npos);
    EXPECT_TRUE(out.empty());
}

}  // namespace
}  // namespace tmrvc
