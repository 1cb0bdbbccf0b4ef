#include "tmrvc/streaming_engine.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <mutex>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/fixed_ring_buffer.h"
#include "tmrvc/hop_processor.h"
#include "tmrvc/polyphase_resampler.h"
#include "tmrvc/stream_timing.h"

namespace tmrvc {
namespace c = constants;

namespace {

constexpr int kStatsWindow = 100;

float sanitize(float x) noexcept {
    if (!std::isfinite(x)) return 0.0f;
    if (std::fabs(x) < 1e-30f) return 0.0f;  // denormals and near-denormals
    return x;
}

float dbToGain(float db) noexcept { return std::pow(10.0f, db / 20.0f); }

}  // namespace

struct StreamingEngine::Impl {
    // --- set off the audio thread, read by it ---
    std::atomic<ModelSet*> pending{nullptr};   // a new model set waiting to be picked up by process()
    std::atomic<ModelSet*> retired{nullptr};   // the set process() stopped using, freed by the loader side
    std::atomic<bool> identity{false};
    std::atomic<float> pitchSemitones{0.0f};
    std::atomic<float> wet{1.0f};
    std::atomic<float> gainDb{0.0f};
    std::atomic<bool> modelsLoaded{false};
    std::atomic<bool> speakerLoaded{false};

    // --- loader side (non-real-time threads), guarded by loaderMutex ---
    std::mutex loaderMutex;
    std::shared_ptr<OrtSessionBundle> bundle;  // newest loaded bundle
    std::string modelDir;
    SpeakerProfile speaker;
    bool hasSpeaker = false;
    std::string lastError;

    // --- audio thread only ---
    ModelSet* active = nullptr;
    HopProcessor hop;
    PolyphaseResampler down, up;
    StreamTiming timing{};
    int maxBlock = 0;
    bool prepared = false;
    std::vector<float> inBuf, in24, out24, hostOut, wetBuf, dryBuf;
    int hopFill = 0;                 // samples waiting in in24 for the next hop
    std::vector<float> hopIn;        // kHopLength
    FixedRingBuffer<float> outFifo;  // host-rate wet output, starts with `prefill` zeros
    FixedRingBuffer<float> dryFifo;  // host-rate dry input, delayed by the reported latency

    // --- statistics (written by the audio thread) ---
    std::atomic<double> lastHopMs{0.0}, avgHopMs{0.0}, maxHopMs{0.0};
    std::atomic<std::uint64_t> hops{0}, overruns{0}, nanFrames{0};
    double hopMsWindow[kStatsWindow] = {};
    int hopMsIndex = 0;

    ~Impl() {
        delete pending.exchange(nullptr);
        delete retired.exchange(nullptr);
        delete active;
    }

    // Publishes a new model set for the audio thread (loader side, under loaderMutex).
    void publish(ModelSet* set) {
        delete retired.exchange(nullptr);
        delete pending.exchange(set);
    }

    // Audio thread: adopt a pending set if the retired slot is free (otherwise try again next block).
    void adoptPending() noexcept {
        if (pending.load(std::memory_order_acquire) == nullptr) return;
        if (retired.load(std::memory_order_acquire) != nullptr) return;
        ModelSet* next = pending.exchange(nullptr, std::memory_order_acq_rel);
        if (next == nullptr) return;
        ModelSet* expected = nullptr;
        if (active != nullptr && !retired.compare_exchange_strong(expected, active)) {
            pending.store(next);  // the loader is collecting: keep the old set one more block
            return;
        }
        active = next;
        HopProcessor::resetModelStates(*active);
    }

    void recordHopTime(double ms) noexcept {
        hopMsWindow[hopMsIndex] = ms;
        hopMsIndex = (hopMsIndex + 1) % kStatsWindow;
        const std::uint64_t count = hops.fetch_add(1) + 1;
        const int n = static_cast<int>(std::min<std::uint64_t>(count, kStatsWindow));
        double sum = 0.0;
        for (int i = 0; i < n; ++i) sum += hopMsWindow[i];
        lastHopMs.store(ms);
        avgHopMs.store(sum / n);
        if (ms > maxHopMs.load()) maxHopMs.store(ms);
        if (ms > 1000.0 * c::kHopLength / c::kSampleRate) overruns.fetch_add(1);
    }

    HopMode mode() const noexcept {
        if (identity.load()) return HopMode::Identity;
        if (active != nullptr && active->hasSpeaker) return HopMode::Convert;
        return HopMode::Silent;
    }

    // Runs every complete hop in in24[0, n) and returns the number of 24 kHz output samples in out24.
    int runHops(int n, HopMode mode) noexcept {
        int produced = 0;
        const float semitones = pitchSemitones.load();
        for (int i = 0; i < n;) {
            const int take = std::min(n - i, c::kHopLength - hopFill);
            std::copy_n(in24.data() + i, take, hopIn.data() + hopFill);
            hopFill += take;
            i += take;
            if (hopFill < c::kHopLength) break;
            hopFill = 0;
            const auto t0 = std::chrono::steady_clock::now();
            const bool ok = hop.process(hopIn.data(), out24.data() + produced, mode, active, semitones);
            const auto t1 = std::chrono::steady_clock::now();
            if (!ok) nanFrames.fetch_add(1);
            if (mode == HopMode::Convert) recordHopTime(std::chrono::duration<double, std::milli>(t1 - t0).count());
            produced += c::kHopLength;
        }
        return produced;
    }

    void processChunk(const float* in, float* out, int n) noexcept {
        adoptPending();
        for (int i = 0; i < n; ++i) inBuf[static_cast<std::size_t>(i)] = sanitize(in[i]);
        const HopMode hopMode = mode();

        const int n24 = down.process(inBuf.data(), n, in24.data());
        const int produced = runHops(n24, hopMode);
        const int nHost = up.process(out24.data(), produced, hostOut.data());
        outFifo.push(hostOut.data(), nHost);
        const int got = outFifo.pop(wetBuf.data(), n);
        std::fill(wetBuf.begin() + got, wetBuf.begin() + n, 0.0f);  // never happens when P is right
        dryFifo.push(inBuf.data(), n);
        dryFifo.pop(dryBuf.data(), n);

        const float mix = hopMode == HopMode::Silent ? 0.0f : std::clamp(wet.load(), 0.0f, 1.0f);
        const float gain = dbToGain(gainDb.load());
        const float limit = static_cast<float>(c::kOutputLimit);
        for (int i = 0; i < n; ++i) {
            const auto k = static_cast<std::size_t>(i);
            const float y = (mix * wetBuf[k] + (1.0f - mix) * dryBuf[k]) * gain;
            out[i] = std::isfinite(y) ? std::clamp(y, -limit, limit) : 0.0f;
        }
    }
};

StreamingEngine::StreamingEngine() : impl_(std::make_unique<Impl>()) {}
StreamingEngine::~StreamingEngine() = default;

std::string StreamingEngine::loadModels(const std::string& modelDir) {
    auto bundle = std::make_shared<OrtSessionBundle>();
    std::string err = bundle->load(modelDir);
    std::lock_guard<std::mutex> lock(impl_->loaderMutex);
    if (!err.empty()) {
        impl_->lastError = "model folder " + modelDir + ": " + err;
        return impl_->lastError;
    }
    auto set = std::make_unique<ModelSet>();
    set->bundle = bundle;
    err = set->bindIndices();
    if (!err.empty()) {
        impl_->lastError = "model folder " + modelDir + ": " + err;
        return impl_->lastError;
    }
    impl_->bundle = bundle;
    impl_->modelDir = modelDir;
    impl_->hasSpeaker = false;  // a speaker belongs to the converter it was enrolled for
    impl_->speakerLoaded.store(false);
    impl_->modelsLoaded.store(true);
    impl_->lastError.clear();
    impl_->publish(set.release());
    return "";
}

std::string StreamingEngine::loadSpeaker(const std::string& speakerPath) {
    std::lock_guard<std::mutex> lock(impl_->loaderMutex);
    if (!impl_->bundle) {
        impl_->lastError = "speaker " + speakerPath + ": load a model folder first";
        return impl_->lastError;
    }
    const OrtSessionBundle& bundle = *impl_->bundle;
    SpeakerReadResult read = readSpeakerFile(speakerPath, bundle.speakerExpectation());
    if (!read.ok) {
        impl_->lastError = "speaker " + speakerPath + ": " + read.error;
        return impl_->lastError;
    }
    auto set = std::make_unique<ModelSet>();
    set->bundle = impl_->bundle;
    std::string err = bundle.buildSpeakerConverter(read.speaker.loraDelta, set->speakerConverter);
    if (err.empty()) err = set->bindIndices();
    if (!err.empty()) {
        impl_->lastError = "speaker " + speakerPath + ": " + err;
        return impl_->lastError;
    }
    set->speaker = read.speaker;
    set->hasSpeaker = true;
    impl_->speaker = std::move(read.speaker);
    impl_->hasSpeaker = true;
    impl_->speakerLoaded.store(true);
    impl_->lastError = read.warning;
    impl_->publish(set.release());
    return "";
}

void StreamingEngine::setIdentityMode(bool on) { impl_->identity.store(on); }

std::string StreamingEngine::prepare(double hostSampleRate, int maxBlockSize) {
    Impl& d = *impl_;
    const long rate = std::lround(hostSampleRate);
    if (std::fabs(hostSampleRate - static_cast<double>(rate)) > 1e-6 || rate <= 0)
        return "unsupported host sample rate " + std::to_string(hostSampleRate) + " (must be a positive integer)";
    if (maxBlockSize < 1) return "maximum block size must be at least 1, got " + std::to_string(maxBlockSize);
    const int hostRate = static_cast<int>(rate);
    StreamTiming timing{};
    std::string err = computeStreamTiming(hostRate, timing);
    if (err.empty()) err = d.down.prepare(hostRate, c::kSampleRate, maxBlockSize);
    if (!err.empty()) return err;
    const int max24 = d.down.maxOutput(maxBlockSize);
    const int maxProduced = (max24 / c::kHopLength + 2) * c::kHopLength;
    err = d.up.prepare(c::kSampleRate, hostRate, maxProduced);
    if (!err.empty()) return err;
    const int maxHostOut = d.up.maxOutput(maxProduced);

    d.timing = timing;
    d.maxBlock = maxBlockSize;
    d.inBuf.assign(static_cast<std::size_t>(maxBlockSize), 0.0f);
    d.in24.assign(static_cast<std::size_t>(max24), 0.0f);
    d.out24.assign(static_cast<std::size_t>(maxProduced), 0.0f);
    d.hostOut.assign(static_cast<std::size_t>(maxHostOut), 0.0f);
    d.wetBuf.assign(static_cast<std::size_t>(maxBlockSize), 0.0f);
    d.dryBuf.assign(static_cast<std::size_t>(maxBlockSize), 0.0f);
    d.hopIn.assign(static_cast<std::size_t>(c::kHopLength), 0.0f);
    d.outFifo.prepare(timing.prefill + maxBlockSize + maxHostOut + c::kHopLength);
    d.dryFifo.prepare(timing.latency + maxBlockSize);
    d.prepared = true;
    reset();
    return "";
}

void StreamingEngine::reset() noexcept {
    Impl& d = *impl_;
    d.down.reset();
    d.up.reset();
    d.hop.reset();
    d.hopFill = 0;
    d.outFifo.clear();
    d.outFifo.pushZeros(d.timing.prefill);
    d.dryFifo.clear();
    d.dryFifo.pushZeros(d.timing.latency);
    d.adoptPending();
    if (d.active != nullptr) HopProcessor::resetModelStates(*d.active);
}

void StreamingEngine::process(const float* in, float* out, int n) noexcept {
    Impl& d = *impl_;
    if (!d.prepared) {
        for (int i = 0; i < n; ++i) out[i] = 0.0f;
        return;
    }
    for (int offset = 0; offset < n; offset += d.maxBlock) {
        const int chunk = std::min(d.maxBlock, n - offset);
        d.processChunk(in + offset, out + offset, chunk);
    }
}

int StreamingEngine::latencySamples() const noexcept { return impl_->timing.latency; }

void StreamingEngine::setPitchShiftSemitones(float semitones) noexcept { impl_->pitchSemitones.store(semitones); }
void StreamingEngine::setDryWet(float wet) noexcept { impl_->wet.store(wet); }
void StreamingEngine::setOutputGainDb(float db) noexcept { impl_->gainDb.store(db); }

bool StreamingEngine::modelsLoaded() const noexcept { return impl_->modelsLoaded.load(); }
bool StreamingEngine::speakerLoaded() const noexcept { return impl_->speakerLoaded.load(); }

std::string StreamingEngine::speakerName() const {
    std::lock_guard<std::mutex> lock(impl_->loaderMutex);
    return impl_->hasSpeaker ? impl_->speaker.name : std::string();
}

std::string StreamingEngine::status() const {
    Impl& d = *impl_;
    std::lock_guard<std::mutex> lock(d.loaderMutex);
    std::string s;
    if (d.identity.load()) s = "analysis-resynthesis self-test (no models)";
    else if (!d.bundle) s = "no models loaded: dry pass-through";
    else if (!d.hasSpeaker) s = "models loaded (" + d.modelDir + "), no speaker: dry pass-through";
    else s = "converting to '" + d.speaker.name + "'";
    if (!d.lastError.empty()) s += " | last error: " + d.lastError;
    return s;
}

EngineStats StreamingEngine::stats() const noexcept {
    const Impl& d = *impl_;
    EngineStats s;
    s.lastHopMs = d.lastHopMs.load();
    s.avgHopMs = d.avgHopMs.load();
    s.maxHopMs = d.maxHopMs.load();
    s.hops = d.hops.load();
    s.overruns = d.overruns.load();
    s.nanFrames = d.nanFrames.load();
    return s;
}

}  // namespace tmrvc
