// EnrolmentPanel: drop audio files on it (or "Enrol voice...") to enrol a new speaker inside the plugin; shows the
// name, the progress of the background job and its outcome, and the folder speakers are written to.
// Message thread only; it calls TmrvcAudioProcessor::startEnrolment, the same function tests drive.
#pragma once
#include "PluginProcessor.h"
#include <juce_gui_basics/juce_gui_basics.h>
#include <memory>

namespace tmrvc::plugin {

class EnrolmentPanel : public juce::Component, public juce::FileDragAndDropTarget, private juce::Timer {
public:
    explicit EnrolmentPanel(TmrvcAudioProcessor& processor);
    void paint(juce::Graphics& g) override;
    void resized() override;
    bool isInterestedInFileDrag(const juce::StringArray& files) override;
    void filesDropped(const juce::StringArray& files, int x, int y) override;
    void fileDragEnter(const juce::StringArray&, int, int) override { setDragHover(true); }
    void fileDragExit(const juce::StringArray&) override { setDragHover(false); }

private:
    void timerCallback() override;
    void enrol(const juce::StringArray& files);
    void chooseFiles();
    void chooseFolder();
    void setDragHover(bool on);

    TmrvcAudioProcessor& processor_;
    juce::TextButton enrolButton_{"Enrol voice..."};
    juce::TextButton folderButton_{"Folder..."};
    juce::TextEditor name_;
    juce::Label message_;
    double progress_ = 0.0;
    bool hover_ = false;
    std::unique_ptr<juce::FileChooser> chooser_;
    JUCE_DECLARE_NON_COPYABLE_WITH_LEAK_DETECTOR(EnrolmentPanel)
};

}  // namespace tmrvc::plugin
