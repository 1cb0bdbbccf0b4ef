// Soak test: a long stream at 48 kHz through the engine with the tiny models, random block sizes (1..2048,
// seeded), a speaker swap every 5 s (alternating loadSpeakerAsync and loadSpeaker) and q changes, rendered in
// non-real-time mode so no hop is dropped. Checks: finite output, |y| <= the output limit, no sample-to-sample
// jump in the half second after a swap or q change beyond twice what the steady output on either side of it
// shows (the swaps and lane changes are cross-faded), no underruns or NaN frames, and memory
// flat after warm-up: heap in use (every run: the leak check) and resident memory (runs of 240 s or more).
// Prints the memory curve.
//
// Duration: TMRVC_SOAK_SECONDS seconds of audio (default 20; the acceptance run uses 600):
//   TMRVC_SOAK_SECONDS=600 build/tmrvc-engine/test_soak
#include <gtest/gtest.h>
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/streaming_engine.h"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TMRVC_SOAK_SANITIZED 1  // the sanitizers' allocators keep freed memory (quarantine): memory is not judged
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TMRVC_SOAK_SANITIZED 1
#endif
#endif
#ifndef TMRVC_SOAK_SANITIZED
#define TMRVC_SOAK_SANITIZED 0
#endif

namespace {

const std::string kModels = TMRVC_TINY_MODELS;
const std::string kSpeaker = kModels + "/demo.tmrvc_speaker";
constexpr int kRate = 48000;
constexpr int kMaxBlock = 2048;
constexpr double kSwapEverySeconds = 5.0;
constexpr double kQualityEverySeconds = 2.5;  // half-way between swaps
constexpr double kCurveEverySeconds = 30.0;   // printed memory curve (memory is probed at every swap)
constexpr double kReferenceSeconds = 2.0;     // steady window before the first event: the signal's own jumps
constexpr double kJumpFactor = 2.0;           // a cross-faded swap stays within twice the signal's own max jump
constexpr double kTransitionSeconds = 0.5;    // after a swap or q change: the engine's latency plus its cross-fade

// The output between two events (swap or q change): its largest sample-to-sample jump in the first
// kTransitionSeconds (where a badly faded event would click) and after them (the signal's own, steady).
struct Segment {
    long long start = 0;
    double transitionJump = 0.0, steadyJump = 0.0;
    long long transitionJumpAt = -1;
};
constexpr double kMaxGrowthBytes = 1024.0 * 1024.0;
constexpr double kRssCheckFromSeconds = 240.0;  // runs at least this long also bound resident memory
constexpr double kRssWindowSeconds = 30.0;      // RSS is compared as means over windows (one probe is +-1 MiB noisy)

double soakSeconds() {
    const char* env = std::getenv("TMRVC_SOAK_SECONDS");
    if (env == nullptr || *env == '\0') return 20.0;
    const double s = std::atof(env);
    if (!(s >= 12.0)) {
        ADD_FAILURE() << "TMRVC_SOAK_SECONDS must be a number >= 12 (warm-up plus at least one swap), got '" << env
                      << "'";
        return 20.0;
    }
    return s;
}

// Resident memory after handing free heap pages back to the system (malloc_trim), so that the figure follows the
// memory the process holds rather than glibc's per-thread arena caches.
double residentBytes() {
    malloc_trim(0);
    std::ifstream f("/proc/self/statm");
    long long pages = 0, resident = 0;
    f >> pages >> resident;
    return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// Bytes allocated and not freed, over every malloc arena (the leak measure; RSS also counts fragmentation).
double heapInUseBytes() {
    const struct mallinfo2 m = mallinfo2();
    return static_cast<double>(m.uordblks + m.hblkhd);
}

// A voiced, speech-like test signal generated block by block: a harmonic tone with a gliding f0 and a syllable
// envelope (stationary over any 2 s window, so the reference window is representative of the whole stream).
class VoiceSource {
public:
    void fill(float* x, int n) {
        constexpr double kTwoPi = 6.283185307179586;
        for (int i = 0; i < n; ++i, ++t_) {
            const double time = static_cast<double>(t_) / kRate;
            const double f0 = 140.0 + 30.0 * std::sin(kTwoPi * 1.5 * time);
            phase_ += f0 / kRate;
            phase_ -= std::floor(phase_);
            double v = 0.0;
            for (int h = 1; h <= 12; ++h) v += std::sin(kTwoPi * h * phase_) / h;
            const double envelope = 0.6 + 0.4 * std::sin(kTwoPi * 3.0 * time);
            x[i] = static_cast<float>(0.15 * envelope * v);
        }
    }

private:
    double phase_ = 0.0;
    long long t_ = 0;
};

struct MemoryPoint {
    double seconds;
    double rssBytes;
    double heapBytes;
};

MemoryPoint memoryAt(long long sample) {
    const double heap = heapInUseBytes();
    return {static_cast<double>(sample) / kRate, residentBytes(), heap};
}

// Mean RSS of the probes whose time lies in [from, to].
double meanRss(const std::vector<MemoryPoint>& probes, double from, double to) {
    double sum = 0.0;
    int n = 0;
    for (const MemoryPoint& p : probes) {
        if (p.seconds < from || p.seconds > to) continue;
        sum += p.rssBytes;
        ++n;
    }
    return n > 0 ? sum / n : 0.0;
}

TEST(Soak, LongStreamWithSwapsAndQualityChangesStaysBoundedAndFlat) {
    const double seconds = soakSeconds();
    const auto total = static_cast<long long>(seconds * kRate);
    // Warm-up, the first half of the run: the first swap builds a second model set (heap in use +7 MiB, then flat)
    // and glibc's arenas keep growing RSS for about 60 swaps (~2-3 MiB, measured with heap in use flat); the
    // second half must be flat.
    const double warmUpSeconds = seconds / 2.0;

    tmrvc::StreamingEngine e;
    ASSERT_EQ(e.loadModels(kModels), "");
    ASSERT_EQ(e.loadSpeaker(kSpeaker), "");
    ASSERT_EQ(e.prepare(kRate, kMaxBlock), "");
    e.setNonRealtime(true);
    const auto latency = static_cast<long long>(e.latencySamples());

    std::mt19937 rng(20261125u);
    std::uniform_int_distribution<int> blockSize(1, kMaxBlock);
    const float qualities[] = {0.5f, 1.0f, 0.0f, 0.25f, 0.75f};
    VoiceSource source;
    std::vector<float> x(kMaxBlock), y(kMaxBlock);

    const auto reference = std::make_pair(latency + static_cast<long long>(0.5 * kRate),
                                          static_cast<long long>(kReferenceSeconds * kRate));
    double referenceJump = 0.0, maxJump = 0.0, maxAbs = 0.0;
    long long maxJumpAt = -1, swaps = 0, qChanges = 0, nextSwap = static_cast<long long>(kSwapEverySeconds * kRate);
    long long nextQuality = static_cast<long long>(kQualityEverySeconds * kRate);
    long long badSamples = 0, firstBad = -1;
    double nextCurveSeconds = kCurveEverySeconds;
    float previous = 0.0f;
    MemoryPoint warm{-1.0, 0.0, 0.0}, peak{0.0, 0.0, 0.0};
    std::vector<MemoryPoint> curve{memoryAt(0)}, probes;  // probes: every swap after warm-up, and the end
    std::vector<Segment> segments(1);
    segments.reserve(static_cast<std::size_t>(seconds / kQualityEverySeconds) + 4);
    const auto transitionSamples = static_cast<long long>(kTransitionSeconds * kRate);

    for (long long pos = 0; pos < total;) {
        if (pos >= nextSwap) {
            // Memory is probed here, in a steady state: the previous swap has loaded and its fade is long over.
            e.waitForLoads();
            const MemoryPoint m = memoryAt(pos);
            if (warm.seconds < 0.0 && m.seconds >= warmUpSeconds) warm = peak = m;
            if (warm.seconds >= 0.0) probes.push_back(m);
            peak.rssBytes = std::max(peak.rssBytes, m.rssBytes);
            peak.heapBytes = std::max(peak.heapBytes, m.heapBytes);
            if (m.seconds >= nextCurveSeconds || m.seconds == warm.seconds) {
                curve.push_back(m);
                if (m.seconds >= nextCurveSeconds) nextCurveSeconds += kCurveEverySeconds;
            }
            if (swaps % 2 == 0) e.loadSpeakerAsync(kSpeaker);  // loads while the audio keeps running
            else EXPECT_EQ(e.loadSpeaker(kSpeaker), "") << "swap " << swaps;
            ++swaps;
            nextSwap += static_cast<long long>(kSwapEverySeconds * kRate);
            segments.push_back(Segment{pos});
        }
        if (pos >= nextQuality) {
            e.setQuality(qualities[qChanges % 5]);
            ++qChanges;
            segments.push_back(Segment{pos});
            nextQuality += static_cast<long long>(kSwapEverySeconds * kRate);
        }
        const int n = static_cast<int>(std::min<long long>(blockSize(rng), total - pos));
        source.fill(x.data(), n);
        e.process(x.data(), y.data(), n);
        for (int i = 0; i < n; ++i, ++pos) {
            const float v = y[static_cast<std::size_t>(i)];
            if (!std::isfinite(v) || std::fabs(v) > tmrvc::constants::kOutputLimit) {
                if (firstBad < 0) firstBad = pos;
                ++badSamples;
                continue;
            }
            maxAbs = std::max(maxAbs, static_cast<double>(std::fabs(v)));
            const double jump = std::fabs(static_cast<double>(v) - previous);
            previous = v;
            if (pos >= reference.first && pos < reference.first + reference.second)
                referenceJump = std::max(referenceJump, jump);
            if (pos >= reference.first && jump > maxJump) {
                maxJump = jump;
                maxJumpAt = pos;
            }
            Segment& seg = segments.back();
            if (segments.size() > 1 && pos < seg.start + transitionSamples) {
                if (jump > seg.transitionJump) {
                    seg.transitionJump = jump;
                    seg.transitionJumpAt = pos;
                }
            } else if (pos >= reference.first) {
                seg.steadyJump = std::max(seg.steadyJump, jump);
            }
        }
    }
    e.waitForLoads();
    const MemoryPoint last = memoryAt(total);
    curve.push_back(last);
    probes.push_back(last);
    peak.rssBytes = std::max(peak.rssBytes, last.rssBytes);
    peak.heapBytes = std::max(peak.heapBytes, last.heapBytes);

    std::printf("soak: %.0f s of audio at %d Hz, %lld swaps, %lld q changes, %llu hops, avg hop %.3f ms\n", seconds,
                kRate, swaps, qChanges, static_cast<unsigned long long>(e.stats().hops), e.stats().avgHopMs);
    std::printf("soak: overruns %llu, effective q at the end %.2f (set %.2f), overload bypass %s\n",
                static_cast<unsigned long long>(e.stats().overruns), e.stats().effectiveQuality,
                qualities[(qChanges + 4) % 5], e.stats().overloadBypass ? "on" : "off");
    std::printf("soak: max |y| %.4f, max jump %.5f at %.3f s, reference jump (steady %.1f s) %.5f\n", maxAbs,
                maxJump, static_cast<double>(maxJumpAt) / kRate, kReferenceSeconds, referenceJump);
    std::printf("soak: after warm-up (%.1f s): RSS %+.1f KiB at the end, %+.1f KiB at peak; heap in use %+.1f KiB at "
                "the end, %+.1f KiB at peak (probed at every swap)\n", warmUpSeconds,
                (last.rssBytes - warm.rssBytes) / 1024.0, (peak.rssBytes - warm.rssBytes) / 1024.0,
                (last.heapBytes - warm.heapBytes) / 1024.0, (peak.heapBytes - warm.heapBytes) / 1024.0);
    const double rssEarly = meanRss(probes, warmUpSeconds, warmUpSeconds + kRssWindowSeconds);
    const double rssLate = meanRss(probes, seconds - kRssWindowSeconds, seconds);
    if (seconds >= kRssCheckFromSeconds)
        std::printf("soak: mean RSS over %.0f s windows: %.2f MiB right after warm-up, %.2f MiB at the end (%+.1f KiB)\n",
                    kRssWindowSeconds, rssEarly / 1048576.0, rssLate / 1048576.0, (rssLate - rssEarly) / 1024.0);
    else
        std::printf("soak: resident memory not judged: runs shorter than %.0f s end inside glibc's arena warm-up\n",
                    kRssCheckFromSeconds);
    std::printf("soak: memory curve (audio s, RSS MiB, heap in use MiB, RSS change since warm-up KiB)\n");
    for (const MemoryPoint& p : curve)
        std::printf("soak:   %7.1f s  %8.2f MiB  %8.2f MiB  %+9.1f KiB\n", p.seconds, p.rssBytes / 1048576.0,
                    p.heapBytes / 1048576.0, p.seconds >= warmUpSeconds ? (p.rssBytes - warm.rssBytes) / 1024.0 : 0.0);
    std::fflush(stdout);

    EXPECT_EQ(badSamples, 0) << "non-finite or out-of-range output, first at sample " << firstBad;
    EXPECT_GT(referenceJump, 1e-4) << "the reference window is silent: the engine is not converting";
    // Each event's transition against the steady signal on either side of it (the lanes differ: the q = 1 lane's
    // own output can have larger jumps than the q = 0 lane's, so a single reference window would judge the models,
    // not the fades).
    for (std::size_t k = 1; k < segments.size(); ++k) {
        const Segment& s = segments[k];
        const double own = std::max(segments[k - 1].steadyJump, s.steadyJump);
        std::printf("soak: event at %6.2f s: max jump %.5f in its %.1f s transition, steady around it %.5f\n",
                    static_cast<double>(s.start) / kRate, s.transitionJump, kTransitionSeconds, own);
        EXPECT_GT(own, 1e-4) << "silent output around the event at " << static_cast<double>(s.start) / kRate << " s";
        EXPECT_LE(s.transitionJump, kJumpFactor * own)
            << "a jump of " << s.transitionJump << " at " << static_cast<double>(s.transitionJumpAt) / kRate
            << " s, after the event at " << static_cast<double>(s.start) / kRate << " s, exceeds " << kJumpFactor
            << "x the steady signal's own max jump around it";
    }
    EXPECT_GE(swaps, 2);
    const tmrvc::EngineStats st = e.stats();
    EXPECT_EQ(st.underruns, 0u) << "non-real-time rendering must wait for inference";
    EXPECT_EQ(st.nanFrames, 0u);
    EXPECT_EQ(st.droppedInput, 0u);
    EXPECT_TRUE(e.speakerLoaded());
    EXPECT_EQ(e.lastError(), "");
    EXPECT_NE(e.status().find("converting"), std::string::npos) << e.status();
    if (TMRVC_SOAK_SANITIZED) {
        std::printf("soak: sanitizer build: memory growth not judged (the sanitizer's allocator quarantines frees)\n");
        return;
    }
    EXPECT_LT(peak.heapBytes - warm.heapBytes, kMaxGrowthBytes) << "heap in use grew after warm-up: a leak";
    // A single RSS probe varies by about 1 MiB with the arenas' state, so resident memory is judged on window means,
    // and only when the run is long enough for the arenas to settle within its first half.
    if (seconds >= kRssCheckFromSeconds) {
        EXPECT_LT(rssLate - rssEarly, kMaxGrowthBytes) << "resident memory grew after warm-up";
    }
}

}  // namespace
