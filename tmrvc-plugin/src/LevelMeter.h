// LevelMeter: a vertical peak meter in dBFS with a falling hold, fed from the editor's timer.
#pragma once

#include <juce_gui_basics/juce_gui_basics.h>

namespace tmrvc::plugin {

class LevelMeter : public juce::Component {
public:
    static constexpr float kFloorDb = -60.0f;

    explicit LevelMeter(juce::String caption) : caption_(std::move(caption)) {}
    // Message thread: a new linear peak since the last call; the display decays by decayDb per call.
    void push(float linearPeak, float decayDb);
    float levelDb() const noexcept { return levelDb_; }
    void paint(juce::Graphics& g) override;

private:
    juce::String caption_;
    float levelDb_ = kFloorDb;
};

}  // namespace tmrvc::plugin
