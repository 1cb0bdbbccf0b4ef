// The real-time calls of the DSP parts make no heap allocation after prepare (malloc/free interposed).
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdlib>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/fixed_ring_buffer.h"
#include "tmrvc/pitch_tracker.h"
#include "tmrvc/polyphase_resampler.h"
#include "tmrvc/stft_processor.h"

// Sanitizer runtimes own malloc: there the calls still run, but allocations are not counted.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TMRVC_COUNT_ALLOCATIONS 0
#else
#define TMRVC_COUNT_ALLOCATIONS 1
#endif

#if TMRVC_COUNT_ALLOCATIONS
extern "C" {
void* __libc_malloc(std::size_t size);
void* __libc_calloc(std::size_t count, std::size_t size);
void* __libc_realloc(void* ptr, std::size_t size);
void __libc_free(void* ptr);
}

#endif

namespace {
thread_local bool gCounting = false;
thread_local long gAllocations = 0;
}  // namespace

#if TMRVC_COUNT_ALLOCATIONS

extern "C" {
void* malloc(std::size_t size) {
    if (gCounting) ++gAllocations;
    return __libc_malloc(size);
}
void* calloc(std::size_t count, std::size_t size) {
    if (gCounting) ++gAllocations;
    return __libc_calloc(count, size);
}
void* realloc(void* ptr, std::size_t size) {
    if (gCounting) ++gAllocations;
    return __libc_realloc(ptr, size);
}
void free(void* ptr) {
    if (gCounting && ptr != nullptr) ++gAllocations;
    __libc_free(ptr);
}
}
#endif

namespace {

namespace c = tmrvc::constants;

TEST(DspRealtime, NoAllocationInRealtimeCalls) {
    tmrvc::StftProcessor stft;
    tmrvc::PitchTracker pitch;
    tmrvc::PolyphaseResampler down, up;
    ASSERT_EQ(down.prepare(44100, c::kSampleRate, 512), "");
    ASSERT_EQ(up.prepare(c::kSampleRate, 48000, 512), "");
    tmrvc::FixedRingBuffer<float> ring;
    ring.prepare(4096);
    std::vector<float> frame(c::kWindowLength, 0.25f), mag(c::kNFreqBins), phase(c::kNFreqBins), mel(c::kNMels),
        hop(c::kHopLength), block(512, 0.5f), out(2048);
    for (std::size_t i = 0; i < frame.size(); ++i) frame[i] = static_cast<float>(i % 97) / 97.0f - 0.5f;

    gCounting = true;
    gAllocations = 0;
    for (int repeat = 0; repeat < 3; ++repeat) {
        stft.analyze(frame.data(), mag.data(), phase.data(), mel.data());
        stft.synthesize(mag.data(), phase.data(), hop.data());
        stft.reset();
        volatile float f0 = pitch.estimate(frame.data());
        (void)f0;
        for (int n : {1, 37, 512}) {
            const int produced = down.process(block.data(), n, out.data());
            up.process(out.data(), produced, out.data() + 1024);
        }
        down.reset();
        ring.push(block.data(), 300);
        ring.pushZeros(10);
        ring.copyLatest(out.data(), 400);
        ring.pop(out.data(), 200);
        ring.clear();
    }
    gCounting = false;
    EXPECT_EQ(gAllocations, 0);
}

}  // namespace
