// StreamingEngine with a real (tiny, random-weight) model folder: conversion, hot-swaps with cross-fades, bad
// files that leave the current models and speaker active, the latency–quality knob and the overload policy.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <chrono>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/streaming_engine.h"

namespace {

const std::string kModels = TMRVC_TINY_MODELS;
const std::string kSpeaker = kModels + "/demo.tmrvc_speaker";

std::vector<float> voice(int rate, double seconds) {
    std::vector<float> x(static_cast<std::size_t>(rate * seconds));
    double phase = 0.0;
    for (std::size_t i = 0; i < x.size(); ++i) {
        const double f0 = 140.0 + 30.0 * std::sin(2.0 * 3.14159265 * 1.5 * static_cast<double>(i) / rate);
        phase += f0 / rate;
        double v = 0.0;
        for (int h = 1; h <= 12; ++h) v += std::sin(2.0 * 3.14159265 * h * phase) / h;
        x[i] = static_cast<float>(0.15 * v);
    }
    return x;
}

void render(tmrvc::StreamingEngine& e, const std::vector<float>& x, std::vector<float>& y, std::size_t from,
            std::size_t to, int block) {
    for (std::size_t i = from; i < to; i += static_cast<std::size_t>(block)) {
        const int n = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(block), to - i));
        e.process(x.data() + i, y.data() + i, n);
    }
}

std::unique_ptr<tmrvc::StreamingEngine> loadedEngine(int rate, int block) {
    auto e = std::make_unique<tmrvc::StreamingEngine>();
    EXPECT_EQ(e->loadModels(kModels), "");
    EXPECT_EQ(e->loadSpeaker(kSpeaker), "");
    EXPECT_EQ(e->prepare(rate, block), "");
    e->setNonRealtime(true);
    return e;
}

double maxJump(const std::vector<float>& y, std::size_t from, std::size_t to) {
    double m = 0.0;
    for (std::size_t i = from + 1; i < to; ++i) m = std::max(m, static_cast<double>(std::fabs(y[i] - y[i - 1])));
    return m;
}

TEST(EngineWithModels, ConvertsToFiniteOutputThatDiffersFromTheInput) {
    auto e = loadedEngine(48000, 256);
    EXPECT_TRUE(e->modelsLoaded());
    EXPECT_TRUE(e->speakerLoaded());
    EXPECT_NE(e->status().find("converting"), std::string::npos) << e->status();
    const auto x = voice(48000, 0.5);
    std::vector<float> y(x.size());
    render(*e, x, y, 0, x.size(), 256);
    double diff = 0.0;
    for (std::size_t i = 0; i < y.size(); ++i) {
        ASSERT_TRUE(std::isfinite(y[i]));
        ASSERT_LE(std::fabs(y[i]), tmrvc::constants::kOutputLimit);
        if (i >= static_cast<std::size_t>(e->latencySamples()))
            diff += std::fabs(y[i] - x[i - static_cast<std::size_t>(e->latencySamples())]);
    }
    EXPECT_GT(diff, 1.0) << "the output is just the delayed input";
    EXPECT_GT(e->stats().hops, 40u);
}

TEST(EngineWithModels, DryMixGivesTheDelayedInputExactly) {
    auto e = loadedEngine(44100, 128);
    e->setDryWet(0.0f);
    const auto x = voice(44100, 0.3);
    std::vector<float> y(x.size());
    render(*e, x, y, 0, x.size(), 128);
    const auto lat = static_cast<std::size_t>(e->latencySamples());
    for (std::size_t i = lat; i < y.size(); ++i) ASSERT_EQ(y[i], x[i - lat]) << i;
}

TEST(EngineWithModels, BadFilesLeaveTheCurrentModelsAndSpeakerActive) {
    auto e = loadedEngine(48000, 64);
    const std::string name = e->speakerName();
    const std::string garbage = testing::TempDir() + "/garbage.tmrvc_speaker";
    {
        std::ofstream f(garbage, std::ios::binary);
        f << "TMSP this is not a speaker file";
    }
    EXPECT_NE(e->loadSpeaker(garbage), "");
    EXPECT_NE(e->loadModels("/nonexistent/models"), "");
    EXPECT_TRUE(e->speakerLoaded());
    EXPECT_EQ(e->speakerName(), name);
    EXPECT_NE(e->lastError(), "");
    EXPECT_NE(e->status().find("converting"), std::string::npos) << e->status();
    const auto x = voice(48000, 0.2);
    std::vector<float> y(x.size());
    render(*e, x, y, 0, x.size(), 64);
    EXPECT_GT(e->stats().hops, 10u);
    std::remove(garbage.c_str());
}

TEST(EngineWithModels, SpeakerSwapMidStreamIsCrossFaded) {
    const int rate = 48000;
    auto e = loadedEngine(rate, 256);
    const auto x = voice(rate, 1.2);
    std::vector<float> y(x.size());
    const std::size_t swapAt = x.size() / 2;
    render(*e, x, y, 0, swapAt, 256);
    ASSERT_EQ(e->loadSpeaker(kSpeaker), "");  // a new model set: the worker cross-fades to it
    render(*e, x, y, swapAt, x.size(), 256);
    const auto lat = static_cast<std::size_t>(e->latencySamples());
    const double steady = std::max(maxJump(y, lat + 4800, swapAt), 1e-6);
    const double around = maxJump(y, swapAt, std::min(y.size(), swapAt + lat + 9600));
    EXPECT_LE(around, 2.0 * steady) << "a swap produced a jump larger than the signal's own";
    for (float v : y) ASSERT_TRUE(std::isfinite(v));
}

TEST(EngineWithModels, IdentitySwitchKeepsTheLatency) {
    auto e = loadedEngine(48000, 128);
    const int latency = e->latencySamples();
    e->setIdentityMode(true);
    EXPECT_EQ(e->latencySamples(), latency);
    const auto x = voice(48000, 0.3);
    std::vector<float> y(x.size());
    render(*e, x, y, 0, x.size(), 128);
    for (float v : y) ASSERT_TRUE(std::isfinite(v));
}

TEST(EngineWithModels, QualityKnobShortensTheEstimatorInterval) {
    auto e = loadedEngine(48000, 256);
    const auto x = voice(48000, 0.3);
    std::vector<float> y(x.size());
    render(*e, x, y, 0, x.size() / 2, 256);
    EXPECT_EQ(e->stats().irInterval, tmrvc::constants::kIrUpdateInterval);
    e->setQuality(1.0f);
    render(*e, x, y, x.size() / 2, x.size(), 256);
    EXPECT_EQ(e->stats().irInterval, tmrvc::constants::kIrMinInterval);
    EXPECT_FLOAT_EQ(e->stats().effectiveQuality, 1.0f);
}

TEST(EngineWithModels, QChangeMidStreamEndsInExactlyTheNewProfile) {
    // q 0 → 1 after 1 s (lookahead 0 → 6 hops, HQ converter, 80 ms F0 window): once the 100 ms fade and the models'
    // receptive fields have passed, the output equals an engine that ran at q = 1 from the start. The vocoder's own
    // phase: the reconstructed phase carries an accumulated offset from wherever it started; no level match: its
    // energy followers remember the input since their lane started.
    const int rate = 48000, block = 256;
    const auto x = voice(rate, 3.0);
    std::vector<float> switched(x.size()), fixed(x.size());
    auto a = loadedEngine(rate, block);
    auto b = loadedEngine(rate, block);
    a->setVocoderPhase(true);
    b->setVocoderPhase(true);
    a->setLevelMatch(false);
    b->setLevelMatch(false);
    b->setQuality(1.0f);
    render(*b, x, fixed, 0, x.size(), block);
    render(*a, x, switched, 0, static_cast<std::size_t>(rate), block);
    a->setQuality(1.0f);
    render(*a, x, switched, static_cast<std::size_t>(rate), x.size(), block);
    EXPECT_TRUE(a->stats().hqConverter);
    EXPECT_EQ(a->latencySamples(), b->latencySamples());
    float worst = 0.0f, peak = 0.0f;
    for (std::size_t i = 2 * static_cast<std::size_t>(rate); i < x.size(); ++i) {
        worst = std::max(worst, std::fabs(switched[i] - fixed[i]));
        peak = std::max(peak, std::fabs(fixed[i]));
    }
    EXPECT_GT(peak, 1e-3f);
    EXPECT_LT(worst, 1e-5f) << "after the switch the output is not the q = 1 profile's";
}

// Real-time rendering paced like a host (one 10 ms block per 10 ms): the overload policy only runs in real time.
void renderPaced(tmrvc::StreamingEngine& e, const std::vector<float>& x, std::vector<float>& y, std::size_t from,
                 std::size_t to, int block, int rate) {
    const auto period = std::chrono::microseconds(1000000LL * block / rate);
    auto next = std::chrono::steady_clock::now();
    for (std::size_t i = from; i < to; i += static_cast<std::size_t>(block)) {
        const int n = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(block), to - i));
        e.process(x.data() + i, y.data() + i, n);
        next += period;
        std::this_thread::sleep_until(next);
    }
}

// Real-time rendering does not wait for the worker; slow builds (sanitizers) need a moment to catch up.
template <typename Done>
void waitUpTo5s(Done done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!done() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(5));
}

TEST(EngineWithModels, OverloadDegradesThenBypassesThenRecovers) {
    const int rate = 24000, block = 240;
    auto e = loadedEngine(rate, block);
    e->setNonRealtime(false);
    e->setQuality(1.0f);
    const auto x = voice(rate, 3.0);
    std::vector<float> y(x.size());
    e->setInjectedHopDelayMs(12.0);  // every converted hop overruns its 10 ms
    renderPaced(*e, x, y, 0, 6 * 240, block, rate);
    waitUpTo5s([&] { return e->stats().effectiveQuality < 1.0f; });
    EXPECT_LT(e->stats().effectiveQuality, 1.0f) << "3 overruns in a row must lower q";
    renderPaced(*e, x, y, 6 * 240, 20 * 240, block, rate);
    waitUpTo5s([&] { return e->stats().overloadBypass; });
    EXPECT_TRUE(e->stats().overloadBypass) << "10 overruns in a row must bypass";
    EXPECT_FLOAT_EQ(e->stats().effectiveQuality, 0.0f);
    EXPECT_NE(e->status().find("overload"), std::string::npos) << e->status();
    e->setInjectedHopDelayMs(0.0);
    renderPaced(*e, x, y, 20 * 240, x.size(), block, rate);
    EXPECT_FALSE(e->stats().overloadBypass) << "the policy never recovered";
    for (float v : y) ASSERT_TRUE(std::isfinite(v));
}

TEST(EngineWithModels, OfflineRenderingIgnoresMachineLoad) {
    auto e = loadedEngine(24000, 240);  // non-real-time
    e->setQuality(1.0f);
    e->setInjectedHopDelayMs(12.0);
    const auto x = voice(24000, 0.3);
    std::vector<float> y(x.size());
    render(*e, x, y, 0, x.size(), 240);
    EXPECT_FALSE(e->stats().overloadBypass);
    EXPECT_FLOAT_EQ(e->stats().effectiveQuality, 1.0f);
    EXPECT_GT(e->stats().overruns, 10u) << "the slow hops were measured";
}

TEST(EngineWithModels, AsyncLoadingReportsThroughStatus) {
    tmrvc::StreamingEngine e;
    ASSERT_EQ(e.prepare(48000, 512), "");
    e.loadModelsAsync(kModels);
    e.loadSpeakerAsync(kSpeaker);
    e.loadSpeakerAsync("/nonexistent.tmrvc_speaker");
    e.waitForLoads();
    EXPECT_TRUE(e.modelsLoaded());
    EXPECT_TRUE(e.speakerLoaded());
    EXPECT_NE(e.lastError().find("nonexistent"), std::string::npos) << e.lastError();
}

}  // namespace
