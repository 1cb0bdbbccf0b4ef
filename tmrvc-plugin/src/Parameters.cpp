#include "Parameters.h"

#include "tmrvc/constants.h"

namespace tmrvc::plugin {
namespace {

using Attributes = juce::AudioParameterFloatAttributes;

std::unique_ptr<juce::AudioParameterFloat> makeFloat(const char* id, const juce::String& name, float lo, float hi,
                                                     float step, float def, const juce::String& unit,
                                                     int decimals, int versionHint = kParameterVersionHint) {
    // The text is the number alone; the unit is the label (hosts such as pedalboard parse the text as a number).
    auto toText = [decimals](float v, int) { return juce::String(v, decimals); };
    return std::make_unique<juce::AudioParameterFloat>(
        juce::ParameterID{id, versionHint}, name, juce::NormalisableRange<float>(lo, hi, step), def,
        Attributes().withLabel(unit).withStringFromValueFunction(toText));
}

std::atomic<float>* mustGet(juce::AudioProcessorValueTreeState& state, const char* id) {
    auto* p = state.getRawParameterValue(id);
    jassert(p != nullptr);  // every ID below is created by createParameterLayout()
    return p;
}

}  // namespace

juce::AudioProcessorValueTreeState::ParameterLayout createParameterLayout() {
    juce::AudioProcessorValueTreeState::ParameterLayout layout;
    layout.add(makeFloat(ids::kDryWet, "Dry/Wet", 0.0f, 1.0f, 0.0f, 1.0f, "", 2));
    auto gainRange = juce::NormalisableRange<float>(-60.0f, 12.0f, 0.0f);
    gainRange.setSkewForCentre(-6.0f);
    layout.add(std::make_unique<juce::AudioParameterFloat>(
        juce::ParameterID{ids::kOutputGain, kParameterVersionHint}, "Output Gain", gainRange, 0.0f,
        Attributes().withLabel("dB").withStringFromValueFunction(
            [](float v, int) { return juce::String(v, 1); })));
    layout.add(makeFloat(ids::kQuality, "Latency-Quality", 0.0f, 1.0f, 0.0f, 0.0f, "", 2));
    layout.add(makeFloat(ids::kPitch, "Pitch Shift", -24.0f, 24.0f, 0.0f, 0.0f, "st", 2));
    layout.add(std::make_unique<juce::AudioParameterBool>(
        juce::ParameterID{ids::kAutoPitch, kParameterVersionHint}, "Auto Pitch Match", false));
    layout.add(makeFloat(ids::kPresetAmount, "Voice Preset Amount", 0.0f, 1.0f, 0.0f, 0.0f, "", 2));
    layout.add(std::make_unique<juce::AudioParameterChoice>(
        juce::ParameterID{ids::kAcousticMode, kParameterVersionHint}, "Acoustic Mode",
        juce::StringArray{"Auto", "Manual"}, 0));
    layout.add(makeFloat(ids::kRt60, "Manual RT60", 0.05f, 2.0f, 0.0f, 0.3f, "s", 2));
    layout.add(makeFloat(ids::kDrr, "Manual DRR", -6.0f, 24.0f, 0.0f, 10.0f, "dB", 1));
    layout.add(makeFloat(ids::kTilt, "Manual Tilt", -6.0f, 6.0f, 0.0f, 0.0f, "dB/oct", 1));
    layout.add(std::make_unique<juce::AudioParameterBool>(
        juce::ParameterID{ids::kBypass, kParameterVersionHint}, "Bypass", false));
    const auto gateOff = static_cast<float>(constants::kGateOffDbfs);
    const auto formantMax = static_cast<float>(constants::kFormantMaxSemitones);
    layout.add(makeFloat(ids::kGate, "Gate Threshold", gateOff, 0.0f, 0.0f, gateOff, "dBFS", 1, kGateFormantVersionHint));
    layout.add(makeFloat(ids::kFormant, "Formant Shift", -formantMax, formantMax, 0.0f, 0.0f, "st", 2,
                         kGateFormantVersionHint));
    return layout;
}

ParameterReader::ParameterReader(juce::AudioProcessorValueTreeState& state)
    : dryWet_(mustGet(state, ids::kDryWet)),
      outputGain_(mustGet(state, ids::kOutputGain)),
      quality_(mustGet(state, ids::kQuality)),
      pitch_(mustGet(state, ids::kPitch)),
      autoPitch_(mustGet(state, ids::kAutoPitch)),
      presetAmount_(mustGet(state, ids::kPresetAmount)),
      acousticMode_(mustGet(state, ids::kAcousticMode)),
      rt60_(mustGet(state, ids::kRt60)),
      drr_(mustGet(state, ids::kDrr)),
      tilt_(mustGet(state, ids::kTilt)),
      bypass_(mustGet(state, ids::kBypass)),
      gate_(mustGet(state, ids::kGate)),
      formant_(mustGet(state, ids::kFormant)) {}

ParameterSnapshot ParameterReader::read() const noexcept {
    ParameterSnapshot s;
    s.dryWet = dryWet_->load(std::memory_order_relaxed);
    s.outputGainDb = outputGain_->load(std::memory_order_relaxed);
    s.quality = quality_->load(std::memory_order_relaxed);
    s.pitchSemitones = pitch_->load(std::memory_order_relaxed);
    s.autoPitchMatch = autoPitch_->load(std::memory_order_relaxed) >= 0.5f;
    s.presetAmount = presetAmount_->load(std::memory_order_relaxed);
    s.acousticMode = acousticMode_->load(std::memory_order_relaxed) >= 0.5f ? AcousticMode::Manual : AcousticMode::Auto;
    s.rt60Seconds = rt60_->load(std::memory_order_relaxed);
    s.drrDb = drr_->load(std::memory_order_relaxed);
    s.tiltDbPerOctave = tilt_->load(std::memory_order_relaxed);
    s.bypass = bypass_->load(std::memory_order_relaxed) >= 0.5f;
    s.gateDb = gate_->load(std::memory_order_relaxed);
    s.formantSemitones = formant_->load(std::memory_order_relaxed);
    return s;
}

const juce::StringArray& allParameterIds() {
    static const juce::StringArray kIds{ids::kDryWet, ids::kOutputGain, ids::kQuality, ids::kPitch,
                                        ids::kAutoPitch, ids::kPresetAmount, ids::kAcousticMode,
                                        ids::kRt60, ids::kDrr, ids::kTilt, ids::kBypass,
                                        ids::kGate, ids::kFormant};
    return kIds;
}

}  // namespace tmrvc::plugin
