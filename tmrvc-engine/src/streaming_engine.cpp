#include "tmrvc/streaming_engine.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/fixed_ring_buffer.h"
#include "tmrvc/inference_worker.h"
#include "tmrvc/spsc_queue.h"
#include "tmrvc/stream_timing.h"

namespace tmrvc {
namespace c = constants;

namespace {

constexpr int kOfflineWaitMs = 100;
constexpr int kOfflineMaxWaits = 600;  // give up after a minute without progress (a stuck model)

float sanitize(float x) noexcept {
    if (!std::isfinite(x)) return 0.0f;
    if (std::fabs(x) < 1e-30f) return 0.0f;  // denormals and near-denormals
    return x;
}

float clampTo(float x, const std::array<double, 2>& range) noexcept {
    return std::clamp(x, static_cast<float>(range[0]), static_cast<float>(range[1]));
}

float dbToGain(float db) noexcept { return std::pow(10.0f, db / 20.0f); }

// One run on the loader thread so the session's first-run allocations (ONNX Runtime's arena) happen at load time,
// not in the inference thread's first hop of a profile; then the state is zeroed again.
void warmUp(OrtModel& m) {
    if (!m.loaded()) return;
    m.run();
    m.resetState();
}

}  // namespace

struct StreamingEngine::Impl {
    InferenceWorker worker;
    std::atomic<float> wet{1.0f};
    std::atomic<float> gainDb{0.0f};
    std::atomic<bool> nonRealtime{false};
    std::atomic<bool> modelsLoaded{false};
    std::atomic<bool> speakerLoaded{false};
    std::atomic<int> pendingLoads{0};
    std::atomic<std::uint64_t> underruns{0}, droppedInput{0};

    // --- control side (load functions, getters), guarded by controlMutex ---
    mutable std::mutex controlMutex;
    std::string modelDir;
    bool int8 = false;
    std::shared_ptr<OrtSessionBundle> bundle;  // the newest loaded models (template for speaker sets)
    std::string speakerPath;
    bool speakerAllowMismatch = false;
    SpeakerProfile speaker;
    bool hasSpeaker = false;
    bool bankActive = false;  // the speaker's bank is applied (models and speaker both have one)
    std::string lastError;
    std::string note;  // e.g. "speaker dropped: it does not fit the new models"

    // --- loader thread ---
    std::mutex jobMutex;
    std::condition_variable jobCv;
    std::deque<std::function<void()>> jobs;
    bool loaderExit = false;
    std::thread loader;

    // --- audio thread (sized in prepare) ---
    StreamTiming timing{};
    int latency = 0;         // at lookahead 0, with the one block of inference buffering
    int dryLookahead = 0;    // host samples of lookahead the dry FIFO holds now (audio thread)
    int hostRate = 0;
    int maxBlock = 0;
    bool prepared = false;
    SpscQueue<float> inFifo, outFifo;
    FixedRingBuffer<float> dryFifo;
    std::vector<float> inBuf, wetBuf, dryBuf;
    std::int64_t debt = 0;     // wet samples owed after an underrun, discarded when they arrive
    std::uint64_t pushed = 0;  // host samples handed to the worker since reset

    Impl() {
        loader = std::thread([this] { loaderLoop(); });
    }
    ~Impl() {
        {
            std::lock_guard<std::mutex> lock(jobMutex);
            loaderExit = true;
        }
        jobCv.notify_all();
        loader.join();
        worker.stop();
    }

    void loaderLoop() {
        for (;;) {
            std::function<void()> job;
            {
                std::unique_lock<std::mutex> lock(jobMutex);
                jobCv.wait(lock, [this] { return loaderExit || !jobs.empty(); });
                if (jobs.empty()) return;
                job = std::move(jobs.front());
                jobs.pop_front();
            }
            job();
            pendingLoads.fetch_sub(1);
            jobCv.notify_all();
        }
    }

    void enqueue(std::function<void()> job) {
        pendingLoads.fetch_add(1);
        {
            std::lock_guard<std::mutex> lock(jobMutex);
            jobs.push_back(std::move(job));
        }
        jobCv.notify_all();
    }

    // Builds a model set for `dir` with `profile` applied (nullptr: no speaker). Control side.
    std::string buildSet(const std::string& dir, bool useInt8, const SpeakerProfile* profile,
                         std::unique_ptr<ModelSet>& out) {
        auto set = std::make_unique<ModelSet>();
        set->bundle = std::make_shared<OrtSessionBundle>();
        BundleOptions options;
        options.int8 = useInt8;
        options.loadConverterHq = true;  // used when q asks for lookahead
        std::string err = set->bundle->load(dir, options);
        if (err.empty() && profile != nullptr) {
            err = set->bundle->buildSpeakerConverter(*profile, set->speakerConverter);
            if (err.empty() && set->bundle->converterHq().loaded())
                err = set->bundle->buildSpeakerConverter(*profile, set->speakerConverterHq, ModelRole::ConverterHq);
            set->speaker = *profile;
            set->hasSpeaker = err.empty();
        }
        if (err.empty()) err = set->bindIndices();
        if (err.empty()) {
            for (OrtModel* m : {&set->bundle->contentEncoder(), &set->bundle->irEstimator(), &set->bundle->vocoder(),
                                &set->converter(), &set->converterHq()})
                warmUp(*m);
            out = std::move(set);
        }
        return err;
    }

    std::string loadModels(const std::string& dir, bool useInt8) {
        std::unique_ptr<ModelSet> set;
        std::string err = buildSet(dir, useInt8, nullptr, set);
        std::lock_guard<std::mutex> lock(controlMutex);
        if (!err.empty()) {
            lastError = "model folder " + dir + ": " + err;
            return lastError;
        }
        modelDir = dir;
        int8 = useInt8;
        bundle = set->bundle;
        note.clear();
        lastError.clear();
        modelsLoaded.store(true);
        if (hasSpeaker) {
            // Re-apply the current speaker to the new models when it fits them.
            SpeakerReadResult read = readSpeakerFile(speakerPath, bundle->speakerExpectation(speakerAllowMismatch));
            std::unique_ptr<ModelSet> withSpeaker;
            if (read.ok && buildSet(dir, useInt8, &read.speaker, withSpeaker).empty()) {
                set = std::move(withSpeaker);
                bankActive = bundle->appliesBank(read.speaker);
                note = bundle->bankWarning(read.speaker);
            } else {
                hasSpeaker = false;
                bankActive = false;
                speakerLoaded.store(false);
                note = "speaker dropped: it does not fit the new models" + (read.ok ? std::string() : " (" + read.error + ")");
            }
        }
        worker.publish(set.release());
        return "";
    }

    std::string loadSpeaker(const std::string& path, bool allowMismatch) {
        std::string dir;
        bool useInt8 = false;
        SpeakerExpectation expect;
        {
            std::lock_guard<std::mutex> lock(controlMutex);
            if (!bundle) {
                lastError = "speaker " + path + ": load a model folder first";
                return lastError;
            }
            dir = modelDir;
            useInt8 = int8;
            expect = bundle->speakerExpectation(allowMismatch);
        }
        SpeakerReadResult read = readSpeakerFile(path, expect);
        std::unique_ptr<ModelSet> set;
        std::string err = read.ok ? buildSet(dir, useInt8, &read.speaker, set) : read.error;
        std::lock_guard<std::mutex> lock(controlMutex);
        if (!err.empty()) {
            lastError = "speaker " + path + ": " + err;
            return lastError;
        }
        speaker = std::move(read.speaker);
        speakerPath = path;
        speakerAllowMismatch = allowMismatch;
        hasSpeaker = true;
        speakerLoaded.store(true);
        const std::string bankWarning = set->bundle->bankWarning(speaker);
        lastError = read.warning.empty() || bankWarning.empty() ? read.warning + bankWarning
                                                                : read.warning + "; " + bankWarning;
        bankActive = set->bundle->appliesBank(speaker);
        note.clear();
        worker.publish(set.release());
        return "";
    }

    // Audio thread: wet output for n samples into wetBuf, replacing late samples with dry.
    void pullWet(int n) noexcept {
        if (debt > 0) debt -= outFifo.pop(nullptr, static_cast<int>(std::min<std::int64_t>(debt, outFifo.size())));
        int got = 0;
        if (debt == 0) got = outFifo.pop(wetBuf.data(), n);
        if (got < n) {
            for (int i = got; i < n; ++i) wetBuf[static_cast<std::size_t>(i)] = dryBuf[static_cast<std::size_t>(i)];
            debt += n - got;
            underruns.fetch_add(static_cast<std::uint64_t>(n - got));
        }
    }

    void waitForWorker() noexcept {
        int waits = 0;
        std::uint64_t last = worker.processedInput();
        while (worker.processedInput() < pushed && waits < kOfflineMaxWaits) {
            worker.waitProcessed(kOfflineWaitMs);
            const std::uint64_t now = worker.processedInput();
            waits = now == last ? waits + 1 : 0;
            last = now;
        }
    }

    int lookaheadSamples() const noexcept {
        return lookaheadHostSamples(lookaheadHops(worker.params.quality.load()), hostRate);
    }

    // Audio thread: q moved the lookahead, so the dry path follows the new latency (a jump, like the wet path's
    // cross-faded one).
    void followLookahead() noexcept {
        const int target = lookaheadSamples();
        if (target > dryLookahead) dryFifo.pushZeros(target - dryLookahead);
        else if (target < dryLookahead) dryFifo.discard(dryLookahead - target);
        dryLookahead = target;
    }

    void processChunk(const float* in, float* out, int n) noexcept {
        followLookahead();
        for (int i = 0; i < n; ++i) inBuf[static_cast<std::size_t>(i)] = sanitize(in[i]);
        const int accepted = inFifo.push(inBuf.data(), n);
        if (accepted < n) droppedInput.fetch_add(static_cast<std::uint64_t>(n - accepted));
        pushed += static_cast<std::uint64_t>(accepted);
        worker.notify();
        dryFifo.push(inBuf.data(), n);
        dryFifo.pop(dryBuf.data(), n);
        if (nonRealtime.load(std::memory_order_relaxed)) waitForWorker();
        pullWet(n);

        const float mix = std::clamp(wet.load(), 0.0f, 1.0f);
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

std::string StreamingEngine::loadModels(const std::string& modelDir, bool int8) { return impl_->loadModels(modelDir, int8); }

std::string StreamingEngine::loadSpeaker(const std::string& speakerPath, bool allowModelIdMismatch) {
    return impl_->loadSpeaker(speakerPath, allowModelIdMismatch);
}

void StreamingEngine::loadModelsAsync(const std::string& modelDir, bool int8) {
    impl_->enqueue([this, modelDir, int8] { impl_->loadModels(modelDir, int8); });
}

void StreamingEngine::loadSpeakerAsync(const std::string& speakerPath, bool allowModelIdMismatch) {
    impl_->enqueue([this, speakerPath, allowModelIdMismatch] { impl_->loadSpeaker(speakerPath, allowModelIdMismatch); });
}

bool StreamingEngine::loading() const noexcept { return impl_->pendingLoads.load() > 0; }

void StreamingEngine::waitForLoads() {
    {
        std::unique_lock<std::mutex> lock(impl_->jobMutex);
        impl_->jobCv.wait(lock, [this] { return impl_->pendingLoads.load() == 0; });
    }
    // Free the model sets the inference thread has retired since the last load (the retire FIFO's consumers are
    // serialised by the control lock), so memory after a wait holds only the sets in use.
    std::lock_guard<std::mutex> lock(impl_->controlMutex);
    impl_->worker.collectRetired();
}

void StreamingEngine::setIdentityMode(bool on) { impl_->worker.params.identity.store(on); }

std::string StreamingEngine::prepare(double hostSampleRate, int maxBlockSize) {
    Impl& d = *impl_;
    const long rate = std::lround(hostSampleRate);
    if (!(std::fabs(hostSampleRate - static_cast<double>(rate)) <= 1e-6) || rate <= 0 || rate > 768000)
        return "unsupported host sample rate " + std::to_string(hostSampleRate) + " (must be a positive integer)";
    if (maxBlockSize < 1 || maxBlockSize > 65536)
        return "maximum block size must be 1..65536, got " + std::to_string(maxBlockSize);
    StreamTiming timing{};
    std::string err = computeStreamTiming(static_cast<int>(rate), timing);
    if (!err.empty()) return err;
    d.worker.stop();
    d.prepared = false;
    const int fifo = timing.prefill + 8 * maxBlockSize + 8192;
    d.inFifo.prepare(8 * maxBlockSize + 8192);
    d.outFifo.prepare(fifo);
    const int dryDelay = timing.hopHost + timing.downDelay + timing.upDelay;
    err = d.worker.prepare(static_cast<int>(rate), maxBlockSize, dryDelay, &d.inFifo, &d.outFifo);
    if (!err.empty()) return err;
    d.timing = timing;
    d.hostRate = static_cast<int>(rate);
    d.maxBlock = maxBlockSize;
    // One host block of extra buffering lets inference finish on its own thread before its output is due.
    d.latency = timing.latency + maxBlockSize;
    d.inBuf.assign(static_cast<std::size_t>(maxBlockSize), 0.0f);
    d.wetBuf.assign(static_cast<std::size_t>(maxBlockSize), 0.0f);
    d.dryBuf.assign(static_cast<std::size_t>(maxBlockSize), 0.0f);
    d.dryFifo.prepare(d.latency + lookaheadHostSamples(c::kMaxLookaheadHops, d.hostRate) + maxBlockSize);
    d.prepared = true;
    reset();
    return "";
}

void StreamingEngine::reset() noexcept {
    Impl& d = *impl_;
    if (!d.prepared) return;
    d.worker.stop();
    d.inFifo.pop(nullptr, d.inFifo.size());
    d.outFifo.pop(nullptr, d.outFifo.size());
    d.worker.reset();
    {
        std::lock_guard<std::mutex> lock(d.controlMutex);  // the loader thread consumes the retire FIFO too
        d.worker.collectRetired();
    }
    std::fill(d.inBuf.begin(), d.inBuf.end(), 0.0f);
    for (int left = d.timing.prefill + d.maxBlock; left > 0;) left -= d.outFifo.push(d.inBuf.data(), std::min(left, d.maxBlock));
    d.dryFifo.clear();
    d.dryLookahead = d.lookaheadSamples();
    d.dryFifo.pushZeros(d.latency + d.dryLookahead);
    d.debt = 0;
    d.pushed = 0;
    d.worker.start();
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

void StreamingEngine::setNonRealtime(bool offline) noexcept {
    impl_->nonRealtime.store(offline);
    impl_->worker.params.offline.store(offline);
}

int StreamingEngine::latencySamples() const noexcept {
    return impl_->prepared ? impl_->latency + impl_->lookaheadSamples() : 0;
}
double StreamingEngine::sampleRate() const noexcept { return impl_->hostRate; }

void StreamingEngine::setPitchShiftSemitones(float semitones) noexcept {
    impl_->worker.params.pitchSemitones.store(clampTo(semitones, c::kPitchShiftRangeSemitones));
}
void StreamingEngine::setAutoPitchMatch(bool on) noexcept { impl_->worker.params.autoPitch.store(on); }
void StreamingEngine::setLevelMatch(bool on) noexcept { impl_->worker.params.levelMatch.store(on); }
void StreamingEngine::setGateThresholdDb(float db) noexcept {
    // NaN and anything at or below the off value read as off; the top is 0 dBFS
    impl_->worker.params.gateDb.store(db > static_cast<float>(c::kGateOffDbfs) ? std::min(db, 0.0f)
                                                                                : static_cast<float>(c::kGateOffDbfs));
}
void StreamingEngine::setFormantShiftSemitones(float semitones) noexcept {
    const auto m = static_cast<float>(c::kFormantMaxSemitones);
    impl_->worker.params.formantSemitones.store(std::isfinite(semitones) ? std::clamp(semitones, -m, m) : 0.0f);
}
void StreamingEngine::setVoicePresetAmount(float amount) noexcept {
    impl_->worker.params.presetAmount.store(std::clamp(amount, 0.0f, 1.0f));
}
void StreamingEngine::setAcousticManual(bool manual, float rt60Seconds, float drrDb, float tiltDbPerOctave) noexcept {
    auto& p = impl_->worker.params;
    p.rt60.store(clampTo(rt60Seconds, c::kRt60RangeS));
    p.drrDb.store(clampTo(drrDb, c::kDrrRangeDb));
    p.tiltDbPerOct.store(clampTo(tiltDbPerOctave, c::kTiltRangeDbPerOct));
    p.manualAcoustic.store(manual);
}
void StreamingEngine::setQuality(float q) noexcept { impl_->worker.params.quality.store(std::clamp(q, 0.0f, 1.0f)); }
void StreamingEngine::setDryWet(float wet) noexcept { impl_->wet.store(std::clamp(wet, 0.0f, 1.0f)); }
void StreamingEngine::setOutputGainDb(float db) noexcept { impl_->gainDb.store(clampTo(db, c::kOutputGainRangeDb)); }
void StreamingEngine::setBypass(bool on) noexcept { impl_->worker.params.bypass.store(on); }
void StreamingEngine::setVocoderPhase(bool on) noexcept { impl_->worker.params.vocoderPhase.store(on); }
void StreamingEngine::setInjectedHopDelayMs(double ms) noexcept { impl_->worker.params.injectedDelayMs.store(ms); }

bool StreamingEngine::modelsLoaded() const noexcept { return impl_->modelsLoaded.load(); }
bool StreamingEngine::speakerLoaded() const noexcept { return impl_->speakerLoaded.load(); }

std::string StreamingEngine::speakerName() const {
    std::lock_guard<std::mutex> lock(impl_->controlMutex);
    return impl_->hasSpeaker ? impl_->speaker.name : std::string();
}

bool StreamingEngine::speakerBankActive() const {
    std::lock_guard<std::mutex> lock(impl_->controlMutex);
    return impl_->hasSpeaker && impl_->bankActive;
}

std::string StreamingEngine::lastError() const {
    std::lock_guard<std::mutex> lock(impl_->controlMutex);
    return impl_->lastError;
}

std::string StreamingEngine::status() const {
    Impl& d = *impl_;
    std::lock_guard<std::mutex> lock(d.controlMutex);
    std::string s;
    if (d.worker.params.identity.load()) s = "analysis-resynthesis self-test (no models)";
    else if (!d.bundle) s = "no models loaded: dry pass-through";
    else if (!d.hasSpeaker) s = "models loaded (" + d.modelDir + "), no speaker: dry pass-through";
    else if (d.worker.params.bypass.load()) s = "bypassed (speaker '" + d.speaker.name + "')";
    else if (d.worker.stats.overloadBypass.load()) s = "CPU overload: dry bypass until the machine keeps up";
    else s = "converting to '" + d.speaker.name + "'";
    if (d.pendingLoads.load() > 0) s += " | loading...";
    if (!d.note.empty()) s += " | " + d.note;
    if (!d.lastError.empty()) s += " | last error: " + d.lastError;
    return s;
}

EngineStats StreamingEngine::stats() const noexcept {
    const Impl& d = *impl_;
    const WorkerStats& w = d.worker.stats;
    EngineStats s;
    s.lastHopMs = w.lastHopMs.load();
    s.avgHopMs = w.avgHopMs.load();
    s.maxHopMs = w.maxHopMs.load();
    s.p99HopMs = w.p99HopMs.load();
    s.hops = w.hops.load();
    s.overruns = w.overruns.load();
    s.underruns = d.underruns.load();
    s.nanFrames = w.nanFrames.load();
    s.droppedInput = d.droppedInput.load() + w.droppedOutput.load();
    s.effectiveQuality = w.effectiveQuality.load();
    s.overloadBypass = w.overloadBypass.load();
    s.irInterval = w.irInterval.load();
    s.lookaheadHops = w.lookahead.load();
    s.hqConverter = w.hqConverter.load();
    return s;
}

double StreamingEngine::cpuLoad() const noexcept {
    return impl_->worker.stats.avgHopMs.load() / (1000.0 * c::kHopLength / c::kSampleRate);
}

}  // namespace tmrvc
