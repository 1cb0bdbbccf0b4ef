// The editor: model folder and speaker choosers, q / pitch / dry-wet / gain controls (plus the other
// parameters), input/output meters, reported latency, CPU load, speaker name and a status line.
#pragma once

#include "EnrolmentPanel.h"
#include "LevelMeter.h"
#include "PluginProcessor.h"

#include <juce_audio_processors/juce_audio_processors.h>

#include <memory>
#include <vector>

namespace tmrvc::plugin {

class TmrvcAudioProcessorEditor : public juce::AudioProcessorEditor, private juce::Timer {
public:
    explicit TmrvcAudioProcessorEditor(TmrvcAudioProcessor& owner);
    ~TmrvcAudioProcessorEditor() override;

    void paint(juce::Graphics& g) override;
    void resized() override;

private:
    struct Knob {
        juce::Slider slider;
        juce::Label caption;
        std::unique_ptr<juce::AudioProcessorValueTreeState::SliderAttachment> attachment;
    };

    void timerCallback() override;
    Knob& addKnob(const char* parameterId, const juce::String& caption, bool large);
    void chooseModels();
    void chooseSpeaker();
    static void layoutKnob(Knob& knob, juce::Rectangle<int> area);

    TmrvcAudioProcessor& processor_;
    juce::Label title_;
    juce::TextButton modelsButton_{"Model folder..."};
    juce::TextButton speakerButton_{"Speaker..."};
    juce::Label modelLabel_;
    juce::Label speakerLabel_;
    std::vector<std::unique_ptr<Knob>> largeKnobs_;
    std::vector<std::unique_ptr<Knob>> smallKnobs_;
    juce::ToggleButton autoPitch_{"Auto pitch match"};
    juce::ToggleButton bypass_{"Bypass"};
    juce::ComboBox acousticMode_;
    juce::Label acousticCaption_;
    std::unique_ptr<juce::AudioProcessorValueTreeState::ButtonAttachment> autoPitchAttachment_;
    std::unique_ptr<juce::AudioProcessorValueTreeState::ButtonAttachment> bypassAttachment_;
    std::unique_ptr<juce::AudioProcessorValueTreeState::ComboBoxAttachment> acousticAttachment_;
    LevelMeter inputMeter_{"IN"};
    LevelMeter outputMeter_{"OUT"};
    juce::Label latencyLabel_;
    juce::Label cpuLabel_;
    juce::Label statusLabel_;
    EnrolmentPanel enrolment_{processor_};
    std::unique_ptr<juce::FileChooser> chooser_;

    JUCE_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(TmrvcAudioProcessorEditor)
};

}  // namespace tmrvc::plugin
