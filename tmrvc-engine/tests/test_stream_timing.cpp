// StreamTiming: documented latencies, P tight and sufficient (FIFO never runs dry for random block sizes).
#include <gtest/gtest.h>

#include <random>

#include "tmrvc/stream_timing.h"

namespace {

TEST(StreamTiming, DocumentedExamples) {
    tmrvc::StreamTiming t;
    ASSERT_EQ(tmrvc::computeStreamTiming(48000, t), "");
    EXPECT_EQ(t.prefill, 478);
    EXPECT_EQ(t.hopHost, 480);
    EXPECT_EQ(t.downDelay, 48);
    EXPECT_EQ(t.upDelay, 48);
    EXPECT_EQ(t.latency, 1054);
    ASSERT_EQ(tmrvc::computeStreamTiming(24000, t), "");
    EXPECT_EQ(t.prefill, 239);
    EXPECT_EQ(t.downDelay, 0);
    EXPECT_EQ(t.latency, 479);
    ASSERT_EQ(tmrvc::computeStreamTiming(44100, t), "");
    EXPECT_EQ(t.hopHost, 441);
    EXPECT_EQ(t.downDelay, 45);  // half = ceil(24 * 147 / 80) * 80 = 3600 -> 3600 / 80
    EXPECT_EQ(t.upDelay, 45);
}

TEST(StreamTiming, RejectsUnsupportedRates) {
    tmrvc::StreamTiming t;
    EXPECT_NE(tmrvc::computeStreamTiming(0, t), "");
    EXPECT_NE(tmrvc::computeStreamTiming(-48000, t), "");
    EXPECT_NE(tmrvc::computeStreamTiming(44101, t), "");  // ratio 24000/44101 does not reduce
}

// Brute force: with P zeros in the FIFO, random block sizes never make it run dry, and P - 1 does.
TEST(StreamTiming, PrefillIsTightAndSufficient) {
    std::mt19937 rng(3);
    for (int rate : {24000, 44100, 48000, 88200, 96000, 16000, 22050}) {
        tmrvc::StreamTiming t;
        ASSERT_EQ(tmrvc::computeStreamTiming(rate, t), "") << rate;
        std::int64_t worst = -1000000;
        for (std::int64_t n = 1; n <= 4 * 96000; ++n) {
            worst = std::max(worst, n - tmrvc::streamCounts(n, rate).hostOut);
        }
        EXPECT_EQ(worst, t.prefill) << rate;  // the period scan equals a long brute-force scan
        std::uniform_int_distribution<int> blocks(1, 2048);
        std::int64_t consumed = 0;
        std::int64_t minFill = 1 << 30;
        for (int b = 0; b < 3000; ++b) {
            consumed += blocks(rng);
            const std::int64_t fill = t.prefill + tmrvc::streamCounts(consumed, rate).hostOut - consumed;
            minFill = std::min(minFill, fill);
        }
        EXPECT_GE(minFill, 0) << rate;
    }
}

}  // namespace
