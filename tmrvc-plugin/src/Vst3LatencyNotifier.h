// Vst3LatencyNotifier: tells a VST3 host synchronously that the reported latency changed.
//
// JUCE's VST3 wrapper reports a latency change through IComponentHandler::restartComponent, but only
// synchronously when prepareToPlay runs on JUCE's own message thread; otherwise it posts a message. A host
// that activates the plugin from another thread and never pumps its message loop (pedalboard) then keeps
// compensating with the previous latency. The host's handler reaches the processor through
// juce::VST3ClientExtensions::setIComponentHandler; in the Standalone it never does and this class is inert.
#pragma once

namespace Steinberg {
class FUnknown;
}

namespace tmrvc::plugin {

class Vst3LatencyNotifier {
public:
    void setHandler(Steinberg::FUnknown* handler) noexcept { handler_ = handler; }
    // Host (message) thread only, e.g. from prepareToPlay after setLatencySamples.
    void notifyLatencyChanged() const noexcept;

private:
    Steinberg::FUnknown* handler_ = nullptr;
};

}  // namespace tmrvc::plugin
