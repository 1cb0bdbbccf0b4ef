// LoRA merge: the math against hand-computed values, error cases, and the speaker converter built from the
// tiny fixture folder (initializer overrides really change the converter; zero delta changes nothing).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "tmrvc/lora_merge.h"
#include "tmrvc/ort_session_bundle.h"

namespace tmrvc {
namespace {

TEST(LoraMerge, MatchesHandComputedValues) {
    LoraLayout l;
    l.rank = 2;
    l.alpha = 3.0;  // scale 1.5
    l.dIn = 3;
    l.dOut = 2;
    l.layers = {0};
    const float base[6] = {1, 2, 3, 4, 5, 6};
    const float a[6] = {1, 0, 2, 0, 1, -1};  // A [2,3]
    const float b[4] = {1, 2, -1, 0.5f};      // B [2,2]
    // B@A = [[1*1+2*0, 1*0+2*1, 1*2+2*-1], [-1*1+0.5*0, -1*0+0.5*1, -1*2+0.5*-1]] = [[1,2,0],[-1,0.5,-2.5]]
    const float want[6] = {1 + 1.5f, 2 + 3.0f, 3 + 0.0f, 4 - 1.5f, 5 + 0.75f, 6 - 3.75f};
    float out[6];
    mergeLoraLayer(l, base, a, b, out);
    for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(out[i], want[i]) << i;

    std::vector<float> delta(a, a + 6);
    delta.insert(delta.end(), b, b + 4);
    std::vector<InitializerOverride> inits;
    ASSERT_EQ(mergeLora(l, {{"film.0.weight", std::vector<float>(base, base + 6)}}, delta.data(), delta.size(), inits), "");
    ASSERT_EQ(inits.size(), 1u);
    EXPECT_EQ(inits[0].name, "film.0.weight");
    EXPECT_EQ(inits[0].shape, (std::vector<std::int64_t>{2, 3}));
    for (int i = 0; i < 6; ++i) EXPECT_FLOAT_EQ(inits[0].values[static_cast<std::size_t>(i)], want[i]);
}

TEST(LoraMerge, RejectsBadSizesAndValues) {
    LoraLayout l{2, 4.0, 3, 2, {0, 1}};
    EXPECT_EQ(l.size(), 20u);
    std::vector<FilmWeight> base = {{"film.0.weight", std::vector<float>(6)}, {"film.1.weight", std::vector<float>(6)}};
    std::vector<float> delta(19);
    std::vector<InitializerOverride> out;
    EXPECT_NE(mergeLora(l, base, delta.data(), delta.size(), out).find("19 values"), std::string::npos);
    delta.assign(20, 0.0f);
    delta[7] = std::nanf("");
    EXPECT_NE(mergeLora(l, base, delta.data(), delta.size(), out).find("not finite"), std::string::npos);
    delta[7] = 0.0f;
    base[1].values.resize(5);
    EXPECT_NE(mergeLora(l, base, delta.data(), delta.size(), out).find("film.1.weight"), std::string::npos);
    EXPECT_TRUE(out.empty());
    LoraLayout bad{0, 1.0, 3, 2, {0}};
    EXPECT_NE(bad.validate(), "");
}

std::vector<float> runConverter(OrtModel& m, int frames) {
    std::vector<float> all;
    m.resetState();
    for (int f = 0; f < frames; ++f) {
        for (std::size_t i = 0; i < m.inputCount(); ++i) {
            if (m.inputName(i) == "state_in") continue;
            for (std::size_t k = 0; k < m.inputSize(i); ++k)
                m.input(i)[k] = std::cos(0.11f * static_cast<float>(k) + 0.7f * static_cast<float>(f));
        }
        EXPECT_TRUE(m.run()) << m.lastError();
        const auto o = static_cast<std::size_t>(m.outputIndex("pred_features"));
        all.insert(all.end(), m.output(o), m.output(o) + m.outputSize(o));
    }
    return all;
}

TEST(LoraMerge, SpeakerConverterFromTheFixtureFolder) {
    for (bool int8 : {false, true}) {
        OrtSessionBundle bundle;
        BundleOptions o;
        o.int8 = int8;
        ASSERT_EQ(bundle.load(TMRVC_TINY_MODELS, o), "");
        const std::vector<float> base = runConverter(bundle.converter(), 5);
        OrtModel zero, spk;
        ASSERT_EQ(bundle.buildSpeakerConverter(std::vector<float>(bundle.info().lora.size(), 0.0f), zero), "");
        EXPECT_EQ(runConverter(zero, 5), base) << "int8=" << int8;
        std::vector<float> delta(bundle.info().lora.size());
        for (std::size_t k = 0; k < delta.size(); ++k) delta[k] = 0.2f * std::sin(static_cast<float>(k));
        ASSERT_EQ(bundle.buildSpeakerConverter(delta, spk), "");
        EXPECT_NE(runConverter(spk, 5), base) << "int8=" << int8;
        EXPECT_NE(bundle.buildSpeakerConverter(std::vector<float>(3), spk), "");
    }
}

}  // namespace
}  // namespace tmrvc
