#include "LevelMeter.h"

#include <cmath>

namespace tmrvc::plugin {

void LevelMeter::push(float linearPeak, float decayDb) {
    const float db = linearPeak > 0.0f ? 20.0f * std::log10(linearPeak) : kFloorDb;
    levelDb_ = std::max({db, levelDb_ - decayDb, kFloorDb});
    repaint();
}

void LevelMeter::paint(juce::Graphics& g) {
    auto area = getLocalBounds().toFloat();
    auto captionArea = area.removeFromBottom(16.0f);
    g.setColour(juce::Colour(0xff1b1f24));
    g.fillRoundedRectangle(area, 3.0f);
    const float fraction = juce::jlimit(0.0f, 1.0f, (levelDb_ - kFloorDb) / -kFloorDb);
    auto bar = area.reduced(3.0f);
    bar = bar.removeFromBottom(bar.getHeight() * fraction);
    const auto colour = levelDb_ > -1.0f ? juce::Colours::red : levelDb_ > -12.0f ? juce::Colours::orange
                                                                                  : juce::Colour(0xff3ecf8e);
    g.setColour(colour);
    g.fillRect(bar);
    g.setColour(juce::Colours::lightgrey);
    g.setFont(12.0f);
    g.drawText(caption_, captionArea, juce::Justification::centred);
}

}  // namespace tmrvc::plugin
