#include "PluginProcessor.h"

#include "PluginEditor.h"

#include <tmrvc/constants.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <thread>

namespace tmrvc::plugin {
namespace {

constexpr double kOfflineLoadWaitSeconds = 60.0;  // an offline render waits this long for pending loads
constexpr int kDisplayTimerHz = 20;

double monotonicSeconds() noexcept {
    using Clock = std::chrono::steady_clock;
    return std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
}

float peakOf(const float* x, int n) noexcept {
    float peak = 0.0f;
    for (int i = 0; i < n; ++i) peak = std::max(peak, std::abs(x[i]));
    return peak;
}

void raisePeak(std::atomic<float>& slot, float value) noexcept {
    float old = slot.load(std::memory_order_relaxed);
    while (value > old && !slot.compare_exchange_weak(old, value, std::memory_order_relaxed)) {
    }
}

bool envFlag(const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr && std::string(v) == "1";
}

}  // namespace

TmrvcAudioProcessor::TmrvcAudioProcessor()
    : juce::AudioProcessor(BusesProperties()
                               .withInput("Input", juce::AudioChannelSet::stereo(), true)
                               .withOutput("Output", juce::AudioChannelSet::stereo(), true)),
      apvts_(*this, nullptr, "PARAMETERS", createParameterLayout()),
      reader_(apvts_),
      adapter_(engine_),
      ignoreHostOfflineFlag_(envFlag("TMRVC_PLUGIN_IGNORE_HOST_OFFLINE")) {
    apvts_.addParameterListener(ids::kQuality, this);
    adapter_.apply(reader_.read());
    startTimerHz(kDisplayTimerHz);
}

TmrvcAudioProcessor::~TmrvcAudioProcessor() {
    enrolment_.cancelAndWait();  // its onDone touches this object
    stopTimer();
    apvts_.removeParameterListener(ids::kQuality, this);
}

bool TmrvcAudioProcessor::isBusesLayoutSupported(const BusesLayout& layouts) const {
    const auto in = layouts.getMainInputChannelSet();
    const auto out = layouts.getMainOutputChannelSet();
    if (out != juce::AudioChannelSet::mono() && out != juce::AudioChannelSet::stereo()) return false;
    return in == out;
}

void TmrvcAudioProcessor::prepareToPlay(double sampleRate, int samplesPerBlock) {
    prepared_.store(false, std::memory_order_release);
    engine_.waitForLoads();  // a restored state's models and speaker are active before audio starts
    maxBlock_ = std::max(1, samplesPerBlock);
    mono_.assign(static_cast<std::size_t>(maxBlock_), 0.0f);
    adapter_.invalidate();
    adapter_.apply(reader_.read());  // q (and the rest) before prepare, in case the timeline depends on them
    const std::string why = engine_.prepare(sampleRate, maxBlock_);
    adapter_.invalidate();
    adapter_.apply(reader_.read());
    pacer_.prepare(sampleRate, maxBlock_);
    if (why.empty()) {
        syncLatency();
    } else {
        setStatusNote(juce::String("prepare failed: ") + why + " (input passes through)");
        setLatencySamples(0);
    }
    prepared_.store(why.empty(), std::memory_order_release);
}

void TmrvcAudioProcessor::releaseResources() {}

void TmrvcAudioProcessor::reset() {
    // Hosts may call reset() on the audio thread while processing; StreamingEngine::reset() restarts the inference
    // thread (not real-time safe), so the engine is only reset in prepareToPlay. Its ~20 ms of buffered audio simply
    // plays out.
    pacer_.reset();
}

double TmrvcAudioProcessor::getTailLengthSeconds() const {
    return constants::kCrossfadeFrames * static_cast<double>(constants::kHopLength) / constants::kSampleRate;
}

void TmrvcAudioProcessor::waitForLoadsOffline() noexcept {
    // Offline only: a render that starts while models load waits for them (bounded), so it is complete.
    const double until = monotonicSeconds() + kOfflineLoadWaitSeconds;
    while (engine_.loading() && monotonicSeconds() < until) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

void TmrvcAudioProcessor::processBlock(juce::AudioBuffer<float>& buffer, juce::MidiBuffer&) {
    juce::ScopedNoDenormals noDenormals;
    const int n = buffer.getNumSamples();
    const int numIn = getTotalNumInputChannels();
    const int numOut = getTotalNumOutputChannels();
    if (n <= 0) return;
    if (numIn <= 0) {
        buffer.clear();
        return;
    }
    // prepare() refused this rate/block: the reported latency is 0, so the input passes through unchanged.
    if (!prepared_.load(std::memory_order_acquire)) return;
    adapter_.apply(reader_.read());
    const bool hostOffline = isNonRealtime() && !ignoreHostOfflineFlag_;
    const bool wait = pacer_.beginBlock(n, monotonicSeconds(), hostOffline);
    engine_.setNonRealtime(wait);
    if ((hostOffline || pacer_.mode() == RenderPacer::Mode::Offline) && engine_.loading()) waitForLoadsOffline();

    float inPeak = 0.0f;
    const float sumGain = 1.0f / static_cast<float>(numIn);
    for (int offset = 0; offset < n; offset += maxBlock_) {
        const int chunk = std::min(maxBlock_, n - offset);
        float* mono = mono_.data();
        juce::FloatVectorOperations::copy(mono, buffer.getReadPointer(0, offset), chunk);
        for (int c = 1; c < numIn; ++c) juce::FloatVectorOperations::add(mono, buffer.getReadPointer(c, offset), chunk);
        if (numIn > 1) juce::FloatVectorOperations::multiply(mono, sumGain, chunk);
        inPeak = std::max(inPeak, peakOf(mono, chunk));
        engine_.process(mono, mono, chunk);
        for (int c = 0; c < numOut; ++c) buffer.copyFrom(c, offset, mono, chunk);
    }
    raisePeak(inputPeak_, inPeak);
    raisePeak(outputPeak_, buffer.getMagnitude(0, 0, n));
}

juce::AudioProcessorParameter* TmrvcAudioProcessor::getBypassParameter() const {
    return apvts_.getParameter(ids::kBypass);
}

void TmrvcAudioProcessor::parameterChanged(const juce::String& parameterID, float newValue) {
    // q may change the latency: forward it at once (any thread) and report the new latency from the message
    // thread; the timer (and the next prepareToPlay) catch up when the change came from another thread.
    if (parameterID == ids::kQuality) {
        EngineAdapter::forwardQuality(engine_, newValue);
        if (juce::MessageManager::existsAndIsCurrentThread()) syncLatency();
    }
}

void TmrvcAudioProcessor::syncLatency() {
    const int latency = engine_.latencySamples();
    if (latency == getLatencySamples()) return;
    setLatencySamples(latency);
    // JUCE tells the host asynchronously when this is not its message thread; tell it now as well.
    if (!juce::MessageManager::existsAndIsCurrentThread()) latencyNotifier_.notifyLatencyChanged();
}

void TmrvcAudioProcessor::timerCallback() {
    syncLatency();
    if (enrolment_.takeFinished() && enrolment_.state() == EnrolmentJob::State::Failed)
        setStatusNote("enrolment failed: " + enrolment_.message());
}

juce::String TmrvcAudioProcessor::startEnrolment(const juce::StringArray& files, const juce::String& name) {
    juce::String dir;
    {
        std::lock_guard<std::mutex> lock(pathsMutex_);
        dir = modelDir_;
    }
    // The new file becomes the speaker from the job's thread (chooseSpeakerFile only takes pathsMutex_ and queues
    // the engine's asynchronous load, which cross-fades), so it works without a running message loop too.
    enrolment_.setOnDone([this](const std::string& path) { chooseSpeakerFile(juce::String(path)); });
    return enrolment_.start(files, name, dir, speakerDir());
}

juce::String TmrvcAudioProcessor::speakerDir() const {
    std::lock_guard<std::mutex> lock(pathsMutex_);
    return speakerDir_.isNotEmpty() ? speakerDir_ : juce::String(tmrvc::defaultSpeakerDir());
}

void TmrvcAudioProcessor::setSpeakerDir(const juce::String& dir) {
    std::lock_guard<std::mutex> lock(pathsMutex_);
    speakerDir_ = dir;
}

void TmrvcAudioProcessor::requestLoad(bool forceModels) {
    std::lock_guard<std::mutex> lock(pathsMutex_);
    bool modelsQueued = false;
    if (modelDir_.isNotEmpty() && (forceModels || modelDir_ != requestedModelDir_ || !engine_.modelsLoaded())) {
        engine_.loadModelsAsync(modelDir_.toStdString());
        requestedModelDir_ = modelDir_;
        modelsQueued = true;
    }
    // The engine re-applies a loaded speaker to new models itself; load it again only when it changed.
    if (speakerPath_.isNotEmpty() && modelDir_.isNotEmpty() &&
        (speakerPath_ != requestedSpeakerPath_ || !engine_.speakerLoaded() || (modelsQueued && forceModels))) {
        engine_.loadSpeakerAsync(speakerPath_.toStdString());
        requestedSpeakerPath_ = speakerPath_;
    }
}

void TmrvcAudioProcessor::setStatusNote(const juce::String& note) {
    std::lock_guard<std::mutex> lock(pathsMutex_);
    statusNote_ = note;
}

void TmrvcAudioProcessor::chooseModelFolder(const juce::String& dir) {
    {
        std::lock_guard<std::mutex> lock(pathsMutex_);
        modelDir_ = dir;
        statusNote_.clear();
    }
    requestLoad(true);
}

void TmrvcAudioProcessor::chooseSpeakerFile(const juce::String& path) {
    {
        std::lock_guard<std::mutex> lock(pathsMutex_);
        speakerPath_ = path;
        requestedSpeakerPath_.clear();
        statusNote_.clear();
    }
    requestLoad(false);
}

void TmrvcAudioProcessor::getStateInformation(juce::MemoryBlock& destData) {
    StoredState s;
    for (const auto& id : allParameterIds()) {
        if (auto* p = apvts_.getParameter(id)) s.parameters[id] = p->convertFrom0to1(p->getValue());
    }
    {
        std::lock_guard<std::mutex> lock(pathsMutex_);
        s.modelDir = modelDir_;
        s.speakerPath = speakerPath_;
        s.speakerDir = speakerDir_;
    }
    destData = serialiseState(s);
}

void TmrvcAudioProcessor::restoreDefaults() {
    for (const auto& id : allParameterIds()) {
        if (auto* p = apvts_.getParameter(id)) p->setValueNotifyingHost(p->getDefaultValue());
    }
}

void TmrvcAudioProcessor::setStateInformation(const void* data, int sizeInBytes) {
    const auto parsed = parseState(data, sizeInBytes > 0 ? static_cast<std::size_t>(sizeInBytes) : 0u, allParameterIds());
    restoreDefaults();
    if (parsed.ok) {
        for (const auto& [id, value] : parsed.state.parameters) {
            if (auto* p = apvts_.getParameter(id)) p->setValueNotifyingHost(p->convertTo0to1(value));
        }
    }
    {
        std::lock_guard<std::mutex> lock(pathsMutex_);
        // A state that cannot be read keeps the models that are active (there is nothing better to play).
        if (parsed.ok) {
            modelDir_ = parsed.state.modelDir;
            speakerPath_ = parsed.state.speakerPath;
            speakerDir_ = parsed.state.speakerDir;
        }
        statusNote_ = parsed.ok ? parsed.message : "state not restored (" + parsed.message + "): default parameters";
    }
    requestLoad(false);
}

DisplayInfo TmrvcAudioProcessor::displayInfo() const {
    DisplayInfo d;
    juce::String note;
    {
        std::lock_guard<std::mutex> lock(pathsMutex_);
        d.modelDir = modelDir_;
        note = statusNote_;
    }
    d.speakerName = engine_.speakerLoaded() ? juce::String(engine_.speakerName()) : juce::String("(none)");
    d.loading = engine_.loading();
    const auto lastError = juce::String(engine_.lastError());
    if (d.loading) {
        d.status = "loading...";
    } else if (note.isNotEmpty()) {
        d.status = note;
    } else if (lastError.isNotEmpty()) {
        d.status = lastError;
    } else {
        d.status = engine_.status();
    }
    d.latencySamples = getLatencySamples();
    const double rate = getSampleRate();
    d.latencyMs = rate > 0.0 ? 1000.0 * d.latencySamples / rate : 0.0;
    d.stats = engine_.stats();
    d.cpuLoad = engine_.cpuLoad();
    d.offline = pacer_.mode() == RenderPacer::Mode::Offline || isNonRealtime();
    return d;
}

juce::AudioProcessorEditor* TmrvcAudioProcessor::createEditor() { return new TmrvcAudioProcessorEditor(*this); }

}  // namespace tmrvc::plugin

juce::AudioProcessor* JUCE_CALLTYPE createPluginFilter() { return new tmrvc::plugin::TmrvcAudioProcessor(); }
