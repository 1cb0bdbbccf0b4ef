#include "EnrolmentPanel.h"

namespace tmrvc::plugin {
namespace {
constexpr const char* kAudioWildcard = "*.wav;*.aif;*.aiff;*.flac";
constexpr int kPollHz = 15;
}  // namespace

EnrolmentPanel::EnrolmentPanel(TmrvcAudioProcessor& processor) : processor_(processor) {
    name_.setTextToShowWhenEmpty("new voice name", juce::Colours::grey);
    enrolButton_.onClick = [this] { chooseFiles(); };
    folderButton_.onClick = [this] { chooseFolder(); };
    message_.setFont(juce::Font(13.0f));
    message_.setText("Drop 10 s or more of one voice (WAV/AIFF/FLAC) here to enrol it", juce::dontSendNotification);
    for (auto* c : std::initializer_list<juce::Component*>{&enrolButton_, &folderButton_, &name_, &message_})
        addAndMakeVisible(*c);
    startTimerHz(kPollHz);
}

void EnrolmentPanel::paint(juce::Graphics& g) {
    auto r = getLocalBounds().toFloat();
    g.setColour(hover_ ? juce::Colour(0xff2d4a6b) : juce::Colour(0xff23262b));
    g.fillRoundedRectangle(r, 5.0f);
    if (processor_.enrolment().running()) {  // progress bar along the bottom edge
        g.setColour(juce::Colour(0xff4fa3e0));
        g.fillRect(r.removeFromBottom(4.0f).withWidth(r.getWidth() * static_cast<float>(progress_)));
    }
}

void EnrolmentPanel::resized() {
    auto area = getLocalBounds().reduced(6, 4);
    auto row = area.removeFromTop(24);
    enrolButton_.setBounds(row.removeFromLeft(110));
    row.removeFromLeft(6);
    folderButton_.setBounds(row.removeFromRight(70));
    row.removeFromRight(6);
    name_.setBounds(row);
    message_.setBounds(area);
}

bool EnrolmentPanel::isInterestedInFileDrag(const juce::StringArray& files) {
    for (const auto& f : files)
        if (juce::File(f).hasFileExtension(kAudioWildcard)) return true;
    return false;
}

void EnrolmentPanel::filesDropped(const juce::StringArray& files, int, int) {
    setDragHover(false);
    juce::StringArray audio;
    for (const auto& f : files)
        if (juce::File(f).hasFileExtension(kAudioWildcard)) audio.add(f);
    enrol(audio);
}

void EnrolmentPanel::setDragHover(bool on) {
    hover_ = on;
    repaint();
}

void EnrolmentPanel::enrol(const juce::StringArray& files) {
    auto name = name_.getText().trim();
    if (name.isEmpty() && !files.isEmpty()) name = juce::File(files[0]).getFileNameWithoutExtension();
    const auto why = processor_.startEnrolment(files, name);
    message_.setText(why.isEmpty() ? "Enrolling " + sanitiseSpeakerName(name) + "..." : why,
                     juce::dontSendNotification);
}

void EnrolmentPanel::chooseFiles() {
    chooser_ = std::make_unique<juce::FileChooser>("Audio of the voice to enrol (10 s or more)", juce::File(),
                                                   kAudioWildcard);
    chooser_->launchAsync(juce::FileBrowserComponent::openMode | juce::FileBrowserComponent::canSelectFiles |
                              juce::FileBrowserComponent::canSelectMultipleItems,
                          [this](const juce::FileChooser& fc) {
                              juce::StringArray files;
                              for (const auto& f : fc.getResults()) files.add(f.getFullPathName());
                              if (!files.isEmpty()) enrol(files);
                          });
}

void EnrolmentPanel::chooseFolder() {
    chooser_ = std::make_unique<juce::FileChooser>("Folder for enrolled speakers", juce::File(processor_.speakerDir()));
    chooser_->launchAsync(juce::FileBrowserComponent::openMode | juce::FileBrowserComponent::canSelectDirectories,
                          [this](const juce::FileChooser& fc) {
                              if (fc.getResult() != juce::File()) {
                                  processor_.setSpeakerDir(fc.getResult().getFullPathName());
                                  message_.setText("Speakers go to " + processor_.speakerDir(),
                                                   juce::dontSendNotification);
                              }
                          });
}

void EnrolmentPanel::timerCallback() {
    const auto& job = processor_.enrolment();
    const bool running = job.running();
    enrolButton_.setEnabled(!running);
    if (running) {
        progress_ = job.progress();
        message_.setText("Enrolling... " + juce::String(juce::roundToInt(progress_ * 100.0)) + " %",
                         juce::dontSendNotification);
        repaint();
    } else if (job.state() == EnrolmentJob::State::Done && progress_ < 1.0) {
        progress_ = 1.0;
        message_.setText("Enrolled in " + juce::String(job.seconds(), 1) + " s: " + job.outPath(),
                         juce::dontSendNotification);
        repaint();
    } else if (job.state() == EnrolmentJob::State::Failed && progress_ >= 0.0) {
        progress_ = -1.0;
        message_.setText(job.message(), juce::dontSendNotification);
        repaint();
    }
}

}  // namespace tmrvc::plugin
