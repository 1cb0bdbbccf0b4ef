#include "EngineAdapter.h"

namespace tmrvc::plugin {

void EngineAdapter::apply(const ParameterSnapshot& p) noexcept {
    const bool all = !valid_;
    if (all || p.dryWet != last_.dryWet) engine_.setDryWet(p.dryWet);
    if (all || p.outputGainDb != last_.outputGainDb) engine_.setOutputGainDb(p.outputGainDb);
    if (all || p.pitchSemitones != last_.pitchSemitones) engine_.setPitchShiftSemitones(p.pitchSemitones);
    if (all || p.quality != last_.quality) forwardQuality(engine_, p.quality);
    if (all || p.autoPitchMatch != last_.autoPitchMatch) engine_.setAutoPitchMatch(p.autoPitchMatch);
    if (all || p.presetAmount != last_.presetAmount) engine_.setVoicePresetAmount(p.presetAmount);
    if (all || p.acousticMode != last_.acousticMode || p.rt60Seconds != last_.rt60Seconds || p.drrDb != last_.drrDb ||
        p.tiltDbPerOctave != last_.tiltDbPerOctave) {
        engine_.setAcousticManual(p.acousticMode == AcousticMode::Manual, p.rt60Seconds, p.drrDb, p.tiltDbPerOctave);
    }
    if (all || p.bypass != last_.bypass) engine_.setBypass(p.bypass);
    if (all || p.gateDb != last_.gateDb) engine_.setGateThresholdDb(p.gateDb);
    if (all || p.formantSemitones != last_.formantSemitones) engine_.setFormantShiftSemitones(p.formantSemitones);
    last_ = p;
    valid_ = true;
}

}  // namespace tmrvc::plugin
