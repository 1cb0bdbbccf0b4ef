#include "PluginEditor.h"

namespace tmrvc::plugin {
namespace {

constexpr int kWidth = 760;
constexpr int kEnrolHeight = 56;  // the enrolment panel (EnrolmentPanel)
constexpr int kHeight = 440 + kEnrolHeight;
constexpr int kRefreshHz = 20;
constexpr float kMeterDecayDbPerTick = 1.5f;
const juce::Colour kBackground(0xff22272e);
const juce::Colour kPanel(0xff2d333b);
const juce::Colour kAccent(0xff539bf5);

void styleLabel(juce::Label& label, float size, juce::Colour colour) {
    label.setFont(juce::Font(size));
    label.setColour(juce::Label::textColourId, colour);
    label.setJustificationType(juce::Justification::centredLeft);
}

}  // namespace

TmrvcAudioProcessorEditor::TmrvcAudioProcessorEditor(TmrvcAudioProcessor& owner)
    : juce::AudioProcessorEditor(owner), processor_(owner) {
    title_.setText("TMRVC  voice converter", juce::dontSendNotification);
    styleLabel(title_, 22.0f, juce::Colours::white);
    addAndMakeVisible(title_);

    for (auto* b : {&modelsButton_, &speakerButton_}) addAndMakeVisible(*b);
    modelsButton_.onClick = [this] { chooseModels(); };
    speakerButton_.onClick = [this] { chooseSpeaker(); };
    for (auto* l : {&modelLabel_, &speakerLabel_, &latencyLabel_, &cpuLabel_, &statusLabel_}) {
        styleLabel(*l, 14.0f, juce::Colours::lightgrey);
        addAndMakeVisible(*l);
    }
    statusLabel_.setColour(juce::Label::backgroundColourId, kPanel);

    addKnob(ids::kQuality, "Latency / quality (q)", true);
    addKnob(ids::kPitch, "Pitch (semitones)", true);
    addKnob(ids::kDryWet, "Dry / wet", true);
    addKnob(ids::kOutputGain, "Output gain", true);
    addKnob(ids::kPresetAmount, "Voice preset", false);
    addKnob(ids::kRt60, "RT60", false);
    addKnob(ids::kDrr, "DRR", false);
    addKnob(ids::kTilt, "Tilt", false);
    addKnob(ids::kGate, "Gate (dBFS)", false);
    addKnob(ids::kFormant, "Formant (st)", false);

    auto& state = processor_.parameters();
    acousticMode_.addItemList({"Auto", "Manual"}, 1);
    acousticCaption_.setText("Acoustics", juce::dontSendNotification);
    styleLabel(acousticCaption_, 13.0f, juce::Colours::lightgrey);
    for (juce::Component* c : {static_cast<juce::Component*>(&acousticMode_), static_cast<juce::Component*>(&acousticCaption_),
                               static_cast<juce::Component*>(&autoPitch_), static_cast<juce::Component*>(&bypass_)})
        addAndMakeVisible(*c);
    autoPitchAttachment_ = std::make_unique<juce::AudioProcessorValueTreeState::ButtonAttachment>(state, ids::kAutoPitch, autoPitch_);
    bypassAttachment_ = std::make_unique<juce::AudioProcessorValueTreeState::ButtonAttachment>(state, ids::kBypass, bypass_);
    acousticAttachment_ = std::make_unique<juce::AudioProcessorValueTreeState::ComboBoxAttachment>(state, ids::kAcousticMode, acousticMode_);
    addAndMakeVisible(inputMeter_);
    addAndMakeVisible(outputMeter_);
    addAndMakeVisible(enrolment_);
    setSize(kWidth, kHeight);
    timerCallback();
    startTimerHz(kRefreshHz);
}

TmrvcAudioProcessorEditor::~TmrvcAudioProcessorEditor() { stopTimer(); }

TmrvcAudioProcessorEditor::Knob& TmrvcAudioProcessorEditor::addKnob(const char* parameterId, const juce::String& caption, bool large) {
    auto knob = std::make_unique<Knob>();
    knob->slider.setSliderStyle(juce::Slider::RotaryHorizontalVerticalDrag);
    knob->slider.setTextBoxStyle(juce::Slider::TextBoxBelow, false, large ? 90 : 70, 18);
    knob->slider.setColour(juce::Slider::rotarySliderFillColourId, kAccent);
    knob->caption.setText(caption, juce::dontSendNotification);
    styleLabel(knob->caption, large ? 14.0f : 12.0f, juce::Colours::lightgrey);
    knob->caption.setJustificationType(juce::Justification::centred);
    knob->attachment = std::make_unique<juce::AudioProcessorValueTreeState::SliderAttachment>(processor_.parameters(), parameterId, knob->slider);
    addAndMakeVisible(knob->slider);
    addAndMakeVisible(knob->caption);
    auto& list = large ? largeKnobs_ : smallKnobs_;
    list.push_back(std::move(knob));
    return *list.back();
}

void TmrvcAudioProcessorEditor::chooseModels() {
    chooser_ = std::make_unique<juce::FileChooser>("Choose a TMRVC model folder", juce::File(processor_.displayInfo().modelDir));
    chooser_->launchAsync(juce::FileBrowserComponent::openMode | juce::FileBrowserComponent::canSelectDirectories,
                          [this](const juce::FileChooser& fc) {
                              const auto f = fc.getResult();
                              if (f != juce::File()) processor_.chooseModelFolder(f.getFullPathName());
                          });
}

void TmrvcAudioProcessorEditor::chooseSpeaker() {
    chooser_ = std::make_unique<juce::FileChooser>("Choose a speaker file", juce::File(), "*.tmrvc_speaker");
    chooser_->launchAsync(juce::FileBrowserComponent::openMode | juce::FileBrowserComponent::canSelectFiles,
                          [this](const juce::FileChooser& fc) {
                              const auto f = fc.getResult();
                              if (f != juce::File()) processor_.chooseSpeakerFile(f.getFullPathName());
                          });
}

void TmrvcAudioProcessorEditor::timerCallback() {
    const auto info = processor_.displayInfo();
    modelLabel_.setText("Models: " + (info.modelDir.isEmpty() ? juce::String("(none)") : info.modelDir), juce::dontSendNotification);
    speakerLabel_.setText("Speaker: " + info.speakerName, juce::dontSendNotification);
    latencyLabel_.setText("Latency: " + juce::String(info.latencyMs, 1) + " ms (" + juce::String(info.latencySamples) + " samples)",
                          juce::dontSendNotification);
    cpuLabel_.setText("CPU: " + juce::String(100.0 * info.cpuLoad, 1) + " % of hop (avg " + juce::String(info.stats.avgHopMs, 2) +
                          " ms, max " + juce::String(info.stats.maxHopMs, 2) + " ms, overruns " +
                          juce::String(static_cast<juce::int64>(info.stats.overruns)) + ")" + (info.offline ? "  [offline]" : ""),
                      juce::dontSendNotification);
    statusLabel_.setText(" " + info.status, juce::dontSendNotification);
    inputMeter_.push(processor_.takeInputPeak(), kMeterDecayDbPerTick);
    outputMeter_.push(processor_.takeOutputPeak(), kMeterDecayDbPerTick);
}

void TmrvcAudioProcessorEditor::paint(juce::Graphics& g) {
    g.fillAll(kBackground);
    g.setColour(kPanel);
    g.fillRoundedRectangle(juce::Rectangle<float>(12.0f, 92.0f, static_cast<float>(getWidth()) - 110.0f, 286.0f), 6.0f);
}

void TmrvcAudioProcessorEditor::layoutKnob(Knob& knob, juce::Rectangle<int> area) {
    knob.caption.setBounds(area.removeFromTop(18));
    knob.slider.setBounds(area);
}

void TmrvcAudioProcessorEditor::resized() {
    auto area = getLocalBounds().reduced(12);
    auto top = area.removeFromTop(30);
    title_.setBounds(top.removeFromLeft(300));
    speakerButton_.setBounds(top.removeFromRight(110));
    top.removeFromRight(8);
    modelsButton_.setBounds(top.removeFromRight(130));
    auto paths = area.removeFromTop(44);
    modelLabel_.setBounds(paths.removeFromTop(22));
    speakerLabel_.setBounds(paths);
    auto status = area.removeFromBottom(26);
    enrolment_.setBounds(area.removeFromBottom(kEnrolHeight).reduced(0, 2));
    statusLabel_.setBounds(status);
    auto info = area.removeFromBottom(24);
    latencyLabel_.setBounds(info.removeFromLeft(260));
    cpuLabel_.setBounds(info);
    auto meters = area.removeFromRight(86).reduced(6, 6);
    inputMeter_.setBounds(meters.removeFromLeft(34));
    meters.removeFromLeft(6);
    outputMeter_.setBounds(meters.removeFromLeft(34));
    area = area.reduced(8, 10);
    auto bigRow = area.removeFromTop(150);
    const int bigWidth = bigRow.getWidth() / static_cast<int>(largeKnobs_.size());
    for (auto& k : largeKnobs_) layoutKnob(*k, bigRow.removeFromLeft(bigWidth).reduced(4, 0));
    auto smallRow = area.removeFromTop(110);
    auto toggles = smallRow.removeFromRight(150);
    acousticCaption_.setBounds(toggles.removeFromTop(18));
    acousticMode_.setBounds(toggles.removeFromTop(24).reduced(0, 1));
    toggles.removeFromTop(6);
    autoPitch_.setBounds(toggles.removeFromTop(24));
    bypass_.setBounds(toggles.removeFromTop(24));
    const int smallWidth = smallRow.getWidth() / static_cast<int>(smallKnobs_.size());
    for (auto& k : smallKnobs_) layoutKnob(*k, smallRow.removeFromLeft(smallWidth).reduced(4, 0));
}

}  // namespace tmrvc::plugin
