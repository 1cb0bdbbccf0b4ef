// TmrvcAudioProcessor: owns one tmrvc::StreamingEngine and forwards to it; nothing heavy happens here.
// prepareToPlay -> engine.prepare, processBlock -> engine.process (stereo summed to mono, output duplicated),
// setLatencySamples always equals engine.latencySamples(). Models and speakers load on the engine's loader thread.
#pragma once

#include "EngineAdapter.h"
#include "Parameters.h"
#include "PluginEnrolment.h"
#include "PluginState.h"
#include "RenderPacer.h"
#include "Vst3LatencyNotifier.h"

#include <juce_audio_processors/juce_audio_processors.h>
#include <tmrvc/streaming_engine.h>

#include <atomic>
#include <mutex>
#include <vector>

namespace tmrvc::plugin {

// What the editor shows; filled on the message thread.
struct DisplayInfo {
    juce::String modelDir;
    juce::String speakerName;
    juce::String status;
    double latencyMs = 0.0;
    int latencySamples = 0;
    double cpuLoad = 0.0;  // average frame time / hop duration
    EngineStats stats;
    bool loading = false;
    bool offline = false;
};

class TmrvcAudioProcessor : public juce::AudioProcessor,
                            public juce::VST3ClientExtensions,
                            private juce::AudioProcessorValueTreeState::Listener,
                            private juce::Timer {
public:
    TmrvcAudioProcessor();
    ~TmrvcAudioProcessor() override;

    void prepareToPlay(double sampleRate, int samplesPerBlock) override;
    void releaseResources() override;
    void reset() override;
    bool isBusesLayoutSupported(const BusesLayout& layouts) const override;
    void processBlock(juce::AudioBuffer<float>& buffer, juce::MidiBuffer& midi) override;
    using juce::AudioProcessor::processBlock;

    juce::AudioProcessorEditor* createEditor() override;
    bool hasEditor() const override { return true; }

    const juce::String getName() const override { return "TMRVC"; }
    bool acceptsMidi() const override { return false; }
    bool producesMidi() const override { return false; }
    bool isMidiEffect() const override { return false; }
    double getTailLengthSeconds() const override;

    int getNumPrograms() override { return 1; }
    int getCurrentProgram() override { return 0; }
    void setCurrentProgram(int) override {}
    const juce::String getProgramName(int) override { return "Default"; }
    void changeProgramName(int, const juce::String&) override {}

    void getStateInformation(juce::MemoryBlock& destData) override;
    void setStateInformation(const void* data, int sizeInBytes) override;

    juce::AudioProcessorParameter* getBypassParameter() const override;
    void setIComponentHandler(Steinberg::FUnknown* handler) override { latencyNotifier_.setHandler(handler); }

    // Editor API (message thread).
    void chooseModelFolder(const juce::String& dir);
    void chooseSpeakerFile(const juce::String& path);
    DisplayInfo displayInfo() const;
    // Enrol a voice from audio files (the editor's enrol action; tests call the same): zero-shot on a background
    // thread, written to speakerDir()/<name>.tmrvc_speaker, then loaded as the speaker. "" when started.
    juce::String startEnrolment(const juce::StringArray& files, const juce::String& name);
    const PluginEnrolment& enrolment() const noexcept { return enrolment_; }
    juce::String speakerDir() const;  // the chosen folder, else tmrvc::defaultSpeakerDir() (~/TMRVC/speakers)
    void setSpeakerDir(const juce::String& dir);
    float takeInputPeak() noexcept { return inputPeak_.exchange(0.0f, std::memory_order_relaxed); }
    float takeOutputPeak() noexcept { return outputPeak_.exchange(0.0f, std::memory_order_relaxed); }
    juce::AudioProcessorValueTreeState& parameters() noexcept { return apvts_; }

private:
    void parameterChanged(const juce::String& parameterID, float newValue) override;
    void timerCallback() override;
    void syncLatency();
    void requestLoad(bool forceModels);
    void setStatusNote(const juce::String& note);
    void restoreDefaults();
    void waitForLoadsOffline() noexcept;

    StreamingEngine engine_;
    juce::AudioProcessorValueTreeState apvts_;
    ParameterReader reader_;
    EngineAdapter adapter_;
    RenderPacer pacer_;
    Vst3LatencyNotifier latencyNotifier_;
    const bool ignoreHostOfflineFlag_;  // test hook: TMRVC_PLUGIN_IGNORE_HOST_OFFLINE=1 plays a host without it

    mutable std::mutex pathsMutex_;  // message/loader side only, never the audio thread
    juce::String modelDir_;          // as chosen or restored (kept even when loading failed)
    juce::String speakerPath_;
    juce::String requestedModelDir_;  // what was last handed to the engine's loader
    juce::String requestedSpeakerPath_;
    juce::String statusNote_;  // the last state-restore problem, shown until the next user action

    juce::String speakerDir_;  // "" = default
    PluginEnrolment enrolment_;  // after engine_: joined before the engine goes
    std::vector<float> mono_;
    int maxBlock_ = 0;
    std::atomic<bool> prepared_{false};
    std::atomic<float> inputPeak_{0.0f};
    std::atomic<float> outputPeak_{0.0f};

    JUCE_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(TmrvcAudioProcessor)
};

}  // namespace tmrvc::plugin
