// Plugin parameters: stable IDs (never rename: hosts store automation and state by ID), ranges, units,
// and a snapshot the audio thread reads once per block.
#pragma once

#include <juce_audio_processors/juce_audio_processors.h>

#include "tmrvc/constants.h"

namespace tmrvc::plugin {

namespace ids {
inline constexpr const char* kDryWet = "dryWet";                // 0..1, 1 = wet
inline constexpr const char* kOutputGain = "outputGainDb";      // dB
inline constexpr const char* kQuality = "latencyQuality";       // q, 0..1
inline constexpr const char* kPitch = "pitchShift";             // semitones
inline constexpr const char* kAutoPitch = "autoPitchMatch";     // bool
inline constexpr const char* kPresetAmount = "presetAmount";    // voice-source preset blend, 0..1
inline constexpr const char* kAcousticMode = "acousticMode";    // choice: Auto, Manual
inline constexpr const char* kRt60 = "manualRt60";              // seconds
inline constexpr const char* kDrr = "manualDrr";                // dB
inline constexpr const char* kTilt = "manualTilt";              // dB per octave
inline constexpr const char* kBypass = "bypass";                // bool
inline constexpr const char* kGate = "gateThreshold";           // dBFS; the minimum (-90) = off (issue 19)
inline constexpr const char* kFormant = "formantShift";         // semitones of envelope shift (issue 19)
}  // namespace ids

// Version hint of every parameter (JUCE ParameterID): bump only for parameters added in a later version.
inline constexpr int kParameterVersionHint = 1;
inline constexpr int kGateFormantVersionHint = 2;  // gate and formant came later (issue 19)

enum class AcousticMode { Auto = 0, Manual = 1 };

// One block's worth of parameter values, in plain units.
struct ParameterSnapshot {
    float dryWet = 1.0f;
    float outputGainDb = 0.0f;
    float quality = 0.0f;
    float pitchSemitones = 0.0f;
    bool autoPitchMatch = false;
    float presetAmount = 0.0f;
    AcousticMode acousticMode = AcousticMode::Auto;
    float rt60Seconds = 0.3f;
    float drrDb = 10.0f;
    float tiltDbPerOctave = 0.0f;
    bool bypass = false;
    float gateDb = static_cast<float>(constants::kGateOffDbfs);  // off
    float formantSemitones = 0.0f;
};

juce::AudioProcessorValueTreeState::ParameterLayout createParameterLayout();

// Pointers to the APVTS atomics, resolved once; read() is lock-free and allocation-free.
class ParameterReader {
public:
    explicit ParameterReader(juce::AudioProcessorValueTreeState& state);
    ParameterSnapshot read() const noexcept;

private:
    std::atomic<float>* dryWet_;
    std::atomic<float>* outputGain_;
    std::atomic<float>* quality_;
    std::atomic<float>* pitch_;
    std::atomic<float>* autoPitch_;
    std::atomic<float>* presetAmount_;
    std::atomic<float>* acousticMode_;
    std::atomic<float>* rt60_;
    std::atomic<float>* drr_;
    std::atomic<float>* tilt_;
    std::atomic<float>* bypass_;
    std::atomic<float>* gate_;
    std::atomic<float>* formant_;
};

// Every parameter ID, in layout order (used by state save/restore).
const juce::StringArray& allParameterIds();

}  // namespace tmrvc::plugin
