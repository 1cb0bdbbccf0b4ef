// StreamingEngine without models: the analysis–resynthesis self-test and dry pass-through prove the ring
// buffers, STFT/iSTFT/OLA, resamplers and the latency report (docs/dsp-and-streaming.md).
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "tmrvc/streaming_engine.h"

namespace {

constexpr double kPi = 3.14159265358979323846;

std::vector<float> testSignal(int rate, double seconds) {
    const int n = static_cast<int>(rate * seconds);
    std::vector<float> x(static_cast<std::size_t>(n));
    const double freqs[] = {220.0, 1234.5, 3456.0, 7021.0};
    for (int i = 0; i < n; ++i) {
        double v = 0.0;
        for (double f : freqs) v += 0.1 * std::sin(2.0 * kPi * f * i / rate + f);
        x[static_cast<std::size_t>(i)] = static_cast<float>(v);
    }
    return x;
}

// Offline rendering: the engine waits for its inference thread, so the output is complete and deterministic.
std::vector<float> run(tmrvc::StreamingEngine& engine, const std::vector<float>& x, int block) {
    engine.setNonRealtime(true);
    std::vector<float> y(x.size());
    for (std::size_t i = 0; i < x.size(); i += static_cast<std::size_t>(block)) {
        const int n = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(block), x.size() - i));
        engine.process(x.data() + i, y.data() + i, n);
    }
    return y;
}

// SNR of y against x delayed by `delay`, over the part after warm-up.
double delayedSnrDb(const std::vector<float>& x, const std::vector<float>& y, int delay, int skip) {
    double sig = 0.0, err = 0.0;
    for (std::size_t i = static_cast<std::size_t>(skip + delay); i < y.size(); ++i) {
        const double ref = x[i - static_cast<std::size_t>(delay)];
        sig += ref * ref;
        err += (y[i] - ref) * (y[i] - ref);
    }
    return 10.0 * std::log10(sig / std::max(err, 1e-30));
}

// The lag (0..maxLag) where y best matches x.
int bestLag(const std::vector<float>& x, const std::vector<float>& y, int maxLag) {
    int best = 0;
    double bestScore = -1e300;
    for (int lag = 0; lag <= maxLag; ++lag) {
        double s = 0.0;
        for (std::size_t i = static_cast<std::size_t>(lag); i < y.size(); ++i) s += x[i - static_cast<std::size_t>(lag)] * y[i];
        if (s > bestScore) {
            bestScore = s;
            best = lag;
        }
    }
    return best;
}

struct IdentityCase {
    int rate;
    int block;
    float q = 0.0f;  // the latency-quality knob: lookahead round(6 q) hops
};

class IdentityMode : public ::testing::TestWithParam<IdentityCase> {};

TEST_P(IdentityMode, ReconstructsInputDelayedByReportedLatency) {
    const auto [rate, block, q] = GetParam();
    tmrvc::StreamingEngine engine;
    engine.setIdentityMode(true);
    engine.setQuality(q);
    ASSERT_EQ(engine.prepare(rate, block), "");
    const auto x = testSignal(rate, block == 1 ? 0.4 : 1.0);
    const auto y = run(engine, x, block);
    const int latency = engine.latencySamples();
    ASSERT_GT(latency, 0);
    EXPECT_NEAR(bestLag(x, y, latency + rate / 100), latency, 1) << "measured delay differs from the report";
    EXPECT_GT(delayedSnrDb(x, y, latency, rate / 10), 30.0);
}

INSTANTIATE_TEST_SUITE_P(RatesAndBlocks, IdentityMode,
                         ::testing::Values(IdentityCase{24000, 1}, IdentityCase{24000, 256}, IdentityCase{44100, 1},
                                           IdentityCase{44100, 37}, IdentityCase{44100, 256},
                                           IdentityCase{44100, 4096}, IdentityCase{48000, 1},
                                           IdentityCase{48000, 37}, IdentityCase{48000, 4096},
                                           IdentityCase{96000, 256}, IdentityCase{88200, 511},
                                           IdentityCase{44100, 37, 1.0f}, IdentityCase{48000, 1, 0.5f},
                                           IdentityCase{48000, 256, 1.0f}, IdentityCase{96000, 4096, 1.0f},
                                           IdentityCase{44100, 4096, 0.25f}));

TEST(StreamingEngine, LatencyFollowsQAtOnceBySixHopsAtMost) {
    // Spec (architecture.md): reported latency = 20 ms + lookahead x 10 ms, lookahead round(6 q) hops.
    for (int rate : {44100, 48000, 96000}) {
        tmrvc::StreamingEngine engine;
        ASSERT_EQ(engine.prepare(rate, 256), "");
        const int base = engine.latencySamples();
        for (int hops = 0; hops <= 6; ++hops) {
            engine.setQuality(static_cast<float>(hops) / 6.0f);
            EXPECT_EQ(engine.latencySamples() - base, hops * rate / 100) << rate << " Hz, " << hops << " hops";
        }
        engine.setQuality(0.0f);
        EXPECT_EQ(engine.latencySamples(), base);
    }
}

TEST(StreamingEngine, QChangeMidStreamRealignsWetAndDryToTheNewLatency) {
    // Identity at full wet, then a q change: after the 100 ms cross-fade the output is the input delayed by the new
    // reported latency. Then plain dry at mix 0 follows the latency exactly as well.
    const int rate = 48000;
    const int block = 64;
    const auto x = testSignal(rate, 1.2);
    for (bool identity : {true, false}) {
        tmrvc::StreamingEngine engine;
        engine.setIdentityMode(identity);
        if (!identity) engine.setDryWet(0.0f);
        ASSERT_EQ(engine.prepare(rate, block), "");
        engine.setNonRealtime(true);
        std::vector<float> y(x.size());
        const std::size_t half = x.size() / 2 / block * block;
        for (std::size_t i = 0; i < x.size(); i += block) {
            if (i == half) engine.setQuality(1.0f);
            engine.process(x.data() + i, y.data() + i, static_cast<int>(std::min<std::size_t>(block, x.size() - i)));
        }
        const int latency = engine.latencySamples();
        const std::vector<float> tailX(x.begin(), x.end());
        std::vector<float> tailY(y.size(), 0.0f);
        const std::size_t settled = half + static_cast<std::size_t>(latency + rate / 5);
        std::copy(y.begin() + static_cast<long>(settled), y.end(), tailY.begin() + static_cast<long>(settled));
        EXPECT_GT(delayedSnrDb(tailX, tailY, latency, static_cast<int>(settled) - latency), 30.0) << "identity " << identity;
    }
}

TEST(StreamingEngine, OutputDoesNotDependOnBlockSizeBeyondItsLatency) {
    // The reported latency includes one host block of buffering; once aligned by it, every block size gives
    // bit-identical output.
    const auto x = testSignal(48000, 0.5);
    std::vector<float> reference;
    int referenceLatency = 0;
    for (int block : {1, 37, 256, 4096}) {
        tmrvc::StreamingEngine engine;
        engine.setIdentityMode(true);
        ASSERT_EQ(engine.prepare(48000, block), "");
        const auto y = run(engine, x, block);
        const int latency = engine.latencySamples();
        if (reference.empty()) {
            reference = y;
            referenceLatency = latency;
            continue;
        }
        EXPECT_EQ(latency - referenceLatency, block - 1);
        for (std::size_t i = 0; i + static_cast<std::size_t>(latency) < y.size(); ++i)
            ASSERT_EQ(y[i + static_cast<std::size_t>(latency)], reference[i + static_cast<std::size_t>(referenceLatency)])
                << "block " << block << " sample " << i;
    }
}

TEST(StreamingEngine, WithoutModelsPassesDryAlignedWithTheLatency) {
    tmrvc::StreamingEngine engine;
    ASSERT_EQ(engine.prepare(44100, 128), "");
    EXPECT_FALSE(engine.modelsLoaded());
    EXPECT_NE(engine.status().find("no models"), std::string::npos);
    const auto x = testSignal(44100, 0.3);
    const auto y = run(engine, x, 128);
    const int latency = engine.latencySamples();
    for (std::size_t i = 0; i < y.size(); ++i) {
        const float expected = i >= static_cast<std::size_t>(latency) ? x[i - static_cast<std::size_t>(latency)] : 0.0f;
        ASSERT_EQ(y[i], expected) << "sample " << i;
    }
}

TEST(StreamingEngine, DryWetHalfMixOfIdentityEqualsDelayedInput) {
    tmrvc::StreamingEngine engine;
    engine.setIdentityMode(true);
    engine.setDryWet(0.5f);
    ASSERT_EQ(engine.prepare(48000, 64), "");
    const auto x = testSignal(48000, 0.5);
    const auto y = run(engine, x, 64);
    // Dry and wet are aligned, so mixing them gives the input again (no comb filtering).
    EXPECT_GT(delayedSnrDb(x, y, engine.latencySamples(), 4800), 30.0);
}

TEST(StreamingEngine, NonFiniteInputNeverReachesTheOutput) {
    tmrvc::StreamingEngine engine;
    engine.setIdentityMode(true);
    ASSERT_EQ(engine.prepare(48000, 100), "");
    auto x = testSignal(48000, 0.2);
    for (std::size_t i = 0; i < x.size(); i += 97) x[i] = std::numeric_limits<float>::quiet_NaN();
    for (std::size_t i = 50; i < x.size(); i += 101) x[i] = std::numeric_limits<float>::infinity();
    x[7] = 1e6f;
    const auto y = run(engine, x, 100);
    for (float v : y) {
        ASSERT_TRUE(std::isfinite(v));
        ASSERT_LE(std::fabs(v), 4.0f);
    }
}

TEST(StreamingEngine, RejectsBadPrepareArguments) {
    tmrvc::StreamingEngine engine;
    EXPECT_NE(engine.prepare(44100.5, 64), "");
    EXPECT_NE(engine.prepare(48000, 0), "");
    EXPECT_NE(engine.prepare(-1, 64), "");
}

TEST(StreamingEngine, BrokenModelFolderKeepsEngineUsable) {
    tmrvc::StreamingEngine engine;
    const std::string err = engine.loadModels("/nonexistent/tmrvc-models");
    EXPECT_NE(err, "");
    EXPECT_FALSE(engine.modelsLoaded());
    EXPECT_NE(engine.loadSpeaker("/nonexistent.tmrvc_speaker"), "");
    ASSERT_EQ(engine.prepare(48000, 64), "");
    std::vector<float> x(64, 0.25f), y(64);
    engine.process(x.data(), y.data(), 64);
    for (float v : y) EXPECT_TRUE(std::isfinite(v));
}

}  // namespace
