#include "Vst3LatencyNotifier.h"

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wshadow"
#pragma GCC diagnostic ignored "-Wconversion"
#pragma GCC diagnostic ignored "-Wunused-parameter"
#include <pluginterfaces/vst/ivsteditcontroller.h>
#pragma GCC diagnostic pop

namespace tmrvc::plugin {

void Vst3LatencyNotifier::notifyLatencyChanged() const noexcept {
    // JUCE hands over its IComponentHandler smart pointer as FUnknown*; IComponentHandler derives from FUnknown
    // alone, so the pointer is the handler itself (no queryInterface, hence no IID symbol in the Standalone).
    if (handler_ != nullptr) static_cast<Steinberg::Vst::IComponentHandler*>(handler_)->restartComponent(Steinberg::Vst::kLatencyChanged);
}

}  // namespace tmrvc::plugin
