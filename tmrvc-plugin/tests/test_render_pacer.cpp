// RenderPacer with a fake wall clock: real-time pacing never waits after the probe, faster-than-real-time
// rendering waits from the first block, the host flag always waits, and prepare/reset start a new probe.
#include "../src/RenderPacer.h"

#include <gtest/gtest.h>

namespace {

using tmrvc::plugin::RenderPacer;

constexpr double kRate = 48000.0;

// Calls beginBlock `blocks` times, advancing the clock by `speed` x the block duration per call; returns how
// many calls asked to wait.
int run(RenderPacer& pacer, double& now, int blocks, int blockSize, double wallPerAudio, bool hostFlag = false) {
    int waits = 0;
    for (int i = 0; i < blocks; ++i) {
        waits += pacer.beginBlock(blockSize, now, hostFlag) ? 1 : 0;
        now += wallPerAudio * blockSize / kRate;
    }
    return waits;
}

TEST(RenderPacer, RealtimeHostStopsWaitingAfterTheProbe) {
    for (int block : {32, 64, 512, 2048}) {
        RenderPacer pacer;
        pacer.prepare(kRate, block);
        double now = 100.0;
        run(pacer, now, static_cast<int>(RenderPacer::kProbeSeconds * kRate / block) + 2, block, 1.0);
        EXPECT_EQ(pacer.mode(), RenderPacer::Mode::Realtime) << "block " << block;
        EXPECT_EQ(run(pacer, now, 2000, block, 1.0), 0) << "block " << block;
        EXPECT_EQ(pacer.mode(), RenderPacer::Mode::Realtime);
    }
}

TEST(RenderPacer, RealtimeHostWithJitterAndDriftStaysRealtime) {
    RenderPacer pacer;
    pacer.prepare(kRate, 256);
    double now = 5.0;
    run(pacer, now, 40, 256, 1.0);
    int waits = 0;
    for (int i = 0; i < 200000; ++i) {  // ~18 minutes of audio, device clock 200 ppm fast, +-40 % jitter
        const double jitter = (i % 7 == 0) ? 0.4 : (i % 7 == 1 ? -0.4 : 0.0);
        waits += pacer.beginBlock(256, now, false) ? 1 : 0;
        now += (1.0 - 200e-6 + jitter / 6.0) * 256 / kRate;
    }
    EXPECT_EQ(waits, 0);
    EXPECT_EQ(pacer.mode(), RenderPacer::Mode::Realtime);
}

TEST(RenderPacer, RealtimeHostPrefillBurstIsNotOffline) {
    RenderPacer pacer;
    pacer.prepare(kRate, 128);
    double now = 1.0;
    run(pacer, now, 3, 128, 0.0);  // three periods filled back to back at start
    run(pacer, now, 200, 128, 1.0);
    EXPECT_EQ(pacer.mode(), RenderPacer::Mode::Realtime);
}

TEST(RenderPacer, FasterThanRealtimeHostWaitsFromTheFirstBlock) {
    for (int block : {1, 37, 64, 511, 2048}) {
        for (double wallPerAudio : {0.0, 0.05, 0.6}) {
            RenderPacer pacer;
            pacer.prepare(kRate, block);
            double now = 0.0;
            const int blocks = static_cast<int>(3.0 * kRate / block);  // 3 s of audio
            EXPECT_EQ(run(pacer, now, blocks, block, wallPerAudio), blocks) << "block " << block << " speed " << wallPerAudio;
            EXPECT_EQ(pacer.mode(), RenderPacer::Mode::Offline);
        }
    }
}

TEST(RenderPacer, HostFlagAlwaysWaits) {
    RenderPacer pacer;
    pacer.prepare(kRate, 64);
    double now = 0.0;
    EXPECT_EQ(run(pacer, now, 5000, 64, 1.0, true), 5000);
}

TEST(RenderPacer, ResetStartsANewProbe) {
    RenderPacer pacer;
    pacer.prepare(kRate, 512);
    double now = 0.0;
    run(pacer, now, 1000, 512, 0.0);
    ASSERT_EQ(pacer.mode(), RenderPacer::Mode::Offline);
    pacer.reset();
    EXPECT_EQ(pacer.mode(), RenderPacer::Mode::Probe);
    run(pacer, now, 100, 512, 1.0);
    EXPECT_EQ(pacer.mode(), RenderPacer::Mode::Realtime);
}

}  // namespace
