// The audio thread's process() never touches the heap: malloc/calloc/realloc/free/aligned allocations (and
// operator new/delete, which go through them) are interposed in this test binary and counted only on the thread
// that calls process(), while the inference thread runs the real ONNX models beside it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <malloc.h>

#include "tmrvc/formant_shifter.h"
#include "tmrvc/noise_gate.h"
#include "tmrvc/enrolment_job.h"
#include "tmrvc/streaming_engine.h"

extern "C" {
void* __libc_malloc(size_t);
void* __libc_calloc(size_t, size_t);
void* __libc_realloc(void*, size_t);
void* __libc_memalign(size_t, size_t);
void __libc_free(void*);
}

namespace {
thread_local bool tCounting = false;
std::atomic<long> gHeapCalls{0};
inline void countCall() {
    if (tCounting) gHeapCalls.fetch_add(1, std::memory_order_relaxed);
}
}  // namespace

extern "C" {
void* malloc(size_t n) {
    countCall();
    return __libc_malloc(n);
}
void* calloc(size_t a, size_t b) {
    countCall();
    return __libc_calloc(a, b);
}
void* realloc(void* p, size_t n) {
    countCall();
    return __libc_realloc(p, n);
}
void free(void* p) {
    if (p != nullptr) countCall();
    __libc_free(p);
}
int posix_memalign(void** out, size_t alignment, size_t n) {
    countCall();
    *out = __libc_memalign(alignment, n);
    return *out == nullptr ? 12 : 0;
}
void* aligned_alloc(size_t alignment, size_t n) {
    countCall();
    return __libc_memalign(alignment, n);
}
void* memalign(size_t alignment, size_t n) {
    countCall();
    return __libc_memalign(alignment, n);
}
}

namespace {

struct Case {
    int rate;
    int block;
};

std::string tinyModels() { return TMRVC_TINY_MODELS; }

long countedProcessCalls(tmrvc::StreamingEngine& engine, int rate, int block, int blocks) {
    std::vector<float> in(static_cast<std::size_t>(block)), out(static_cast<std::size_t>(block));
    long phase = 0;
    auto fill = [&] {
        for (float& v : in) v = 0.3f * static_cast<float>(std::sin(2.0 * 3.14159265 * 220.0 * static_cast<double>(phase++) / rate));
    };
    for (int i = 0; i < 20; ++i) {  // warm-up: first calls, worker start, model set adoption
        fill();
        engine.process(in.data(), out.data(), block);
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    gHeapCalls.store(0);
    for (int i = 0; i < blocks; ++i) {
        fill();
        tCounting = true;
        engine.process(in.data(), out.data(), block);
        tCounting = false;
        if (i % 8 == 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
    }
    return gHeapCalls.load();
}

class RealtimeAllocations : public ::testing::TestWithParam<Case> {};

TEST_P(RealtimeAllocations, ProcessNeverAllocatesWithModelsRunning) {
    const auto [rate, block] = GetParam();
    tmrvc::StreamingEngine engine;
    ASSERT_EQ(engine.loadModels(tinyModels()), "");
    ASSERT_EQ(engine.loadSpeaker(tinyModels() + "/demo.tmrvc_speaker"), "");
    ASSERT_EQ(engine.prepare(rate, block), "");
    const int blocks = std::max(40, 2 * rate / std::max(block, 1) / 10);  // ~0.2 s of audio, at least 40 calls
    EXPECT_EQ(countedProcessCalls(engine, rate, block, blocks), 0) << "heap calls in process()";
    EXPECT_GT(engine.stats().hops, 0u) << "the inference thread never converted a hop";
}

TEST_P(RealtimeAllocations, ProcessNeverAllocatesInIdentityMode) {
    const auto [rate, block] = GetParam();
    tmrvc::StreamingEngine engine;
    engine.setIdentityMode(true);
    ASSERT_EQ(engine.prepare(rate, block), "");
    EXPECT_EQ(countedProcessCalls(engine, rate, block, 40), 0) << "heap calls in process()";
}

INSTANTIATE_TEST_SUITE_P(RatesAndBlocks, RealtimeAllocations,
                         ::testing::Values(Case{44100, 1}, Case{44100, 37}, Case{44100, 512}, Case{44100, 4096},
                                           Case{48000, 1}, Case{48000, 64}, Case{48000, 2048},
                                           Case{88200, 256}, Case{96000, 1}, Case{96000, 511},
                                           Case{96000, 4096}));

TEST(RealtimeAllocationsQ, ProcessNeverAllocatesWhileQMovesTheLookahead) {
    // q changes resize nothing on the audio thread: the dry FIFO was sized for 6 hops in prepare(), and the worker
    // switches lanes (and the HQ converter, when the folder has one) on its own thread.
    tmrvc::StreamingEngine engine;
    ASSERT_EQ(engine.loadModels(tinyModels()), "");
    ASSERT_EQ(engine.loadSpeaker(tinyModels() + "/demo.tmrvc_speaker"), "");
    ASSERT_EQ(engine.prepare(48000, 64), "");
    std::vector<float> in(64, 0.1f), out(64);
    for (int i = 0; i < 20; ++i) engine.process(in.data(), out.data(), 64);
    gHeapCalls.store(0);
    for (int i = 0; i < 400; ++i) {
        if (i % 50 == 0) engine.setQuality(static_cast<float>((i / 50) % 4) / 3.0f);
        tCounting = true;
        engine.process(in.data(), out.data(), 64);
        tCounting = false;
        if (i % 8 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    EXPECT_EQ(gHeapCalls.load(), 0) << "heap calls in process()";
}

TEST(RealtimeAllocationsGateFormant, ProcessNeverAllocatesWithGateAndFormantOnAndMoving) {
    // Both controls are atomics the worker reads per hop; setting them from this thread and running them must
    // stay off the heap.
    tmrvc::StreamingEngine engine;
    ASSERT_EQ(engine.loadModels(tinyModels()), "");
    ASSERT_EQ(engine.loadSpeaker(tinyModels() + "/demo.tmrvc_speaker"), "");
    engine.setGateThresholdDb(-40.0f);
    engine.setFormantShiftSemitones(4.0f);
    ASSERT_EQ(engine.prepare(48000, 64), "");
    std::vector<float> in(64), out(64);
    long phase = 0;
    for (int i = 0; i < 20; ++i) engine.process(in.data(), out.data(), 64);
    gHeapCalls.store(0);
    for (int i = 0; i < 600; ++i) {
        // speech-like bursts and silence, so the gate opens and closes
        const float amp = (i / 100) % 2 == 0 ? 0.3f : 0.0f;
        for (float& v : in) v = amp * static_cast<float>(std::sin(2.0 * 3.14159265 * 180.0 * static_cast<double>(phase++) / 48000));
        tCounting = true;
        if (i % 60 == 0) engine.setFormantShiftSemitones(static_cast<float>((i / 60) % 5) * 3.0f - 6.0f);
        if (i % 90 == 0) engine.setGateThresholdDb(i % 180 == 0 ? -50.0f : -90.0f);
        engine.process(in.data(), out.data(), 64);
        tCounting = false;
        if (i % 8 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
    }
    EXPECT_EQ(gHeapCalls.load(), 0) << "heap calls in process()";
    EXPECT_GT(engine.stats().hops, 0u) << "the inference thread never converted a hop";
}

TEST(RealtimeAllocationsGateFormant, ShifterAndGateNeverAllocateOnTheirThread) {
    // The inference thread runs these per hop: table rebuilds and processing use only preallocated members.
    tmrvc::FormantShifter shifter;
    tmrvc::NoiseGate gate;
    std::vector<float> mag(tmrvc::constants::kNFreqBins), hop(tmrvc::constants::kHopLength, 0.1f);
    gHeapCalls.store(0);
    tCounting = true;
    for (int i = 0; i < 50; ++i) {
        for (std::size_t k = 0; k < mag.size(); ++k) mag[k] = 1.0f + static_cast<float>(k % 7);
        shifter.setSemitones(static_cast<float>(i % 13) - 6.0f);
        shifter.process(mag.data());
        gate.process(hop.data(), i % 3 != 0, -30.0f, hop.data());
    }
    tCounting = false;
    EXPECT_EQ(gHeapCalls.load(), 0) << "heap calls in FormantShifter / NoiseGate";
}

TEST(RealtimeAllocationsEnrolment, ProcessNeverAllocatesWhileAnEnrolmentRunsAndSwapsTheSpeaker) {
    // The plugin's enrol action: an EnrolmentJob (speaker encoder, file write, async speaker load) on its own
    // thread while the audio thread keeps calling process(); the job ends by hot-swapping the new speaker.
    tmrvc::StreamingEngine engine;
    ASSERT_EQ(engine.loadModels(tinyModels()), "");
    ASSERT_EQ(engine.loadSpeaker(tinyModels() + "/demo.tmrvc_speaker"), "");
    const int rate = 48000, block = 128;
    ASSERT_EQ(engine.prepare(rate, block), "");
    std::vector<tmrvc::EnrolmentClip> clips;
    for (int c = 0; c < 3; ++c) {  // 3 x 3.5 s = 10.5 s of harmonic "voice" at 44.1 kHz
        tmrvc::EnrolmentClip clip{std::vector<float>(44100 * 7 / 2), 44100};
        double ph = 0.0;
        for (std::size_t i = 0; i < clip.samples.size(); ++i) {
            ph += 2.0 * 3.14159265 * (170.0 + 15.0 * c) / 44100.0;
            double v = 0.0;
            for (int k = 1; k < 12; ++k) v += std::sin(k * ph) / k;
            clip.samples[i] = static_cast<float>(0.2 * v);
        }
        clips.push_back(std::move(clip));
    }
    const std::string out = ::testing::TempDir() + "/rt_enrolled.tmrvc_speaker";
    std::vector<float> in(block), outBuf(block);
    long phase = 0;
    for (int i = 0; i < 20; ++i) engine.process(in.data(), outBuf.data(), block);
    tmrvc::EnrolmentJob job;
    ASSERT_TRUE(job.start(tinyModels(), std::move(clips), "rt_enrolled", out, &engine));
    gHeapCalls.store(0);
    long calls = 0;
    // Keep the audio thread running through the enrolment and the speaker load that follows it.
    while (job.running() || engine.loading() || calls < 400) {
        for (float& v : in) v = 0.3f * static_cast<float>(std::sin(2.0 * 3.14159265 * 220.0 * static_cast<double>(phase++) / rate));
        tCounting = true;
        engine.process(in.data(), outBuf.data(), block);
        tCounting = false;
        ++calls;
        std::this_thread::sleep_for(std::chrono::microseconds(500));
        ASSERT_LT(calls, 200000) << "enrolment never finished";
    }
    job.wait();
    EXPECT_EQ(gHeapCalls.load(), 0) << "heap calls in process() during the enrolment";
    ASSERT_EQ(job.state(), tmrvc::EnrolmentJob::State::Done) << job.message();
    EXPECT_EQ(job.progress(), 1.0);
    engine.waitForLoads();
    EXPECT_EQ(engine.speakerName(), "rt_enrolled") << engine.status() << " " << engine.lastError();
}

TEST(RealtimeAllocationsProbe, InterpositionSeesAllocationsOnThisThread) {
    // Proves the counter works: a vector allocated while counting must be seen.
    gHeapCalls.store(0);
    tCounting = true;
    auto* v = new std::vector<float>(1000);
    delete v;
    tCounting = false;
    EXPECT_GE(gHeapCalls.load(), 2);
}

}  // namespace
