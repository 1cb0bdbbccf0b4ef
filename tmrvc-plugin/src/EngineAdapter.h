// EngineAdapter: the single place where plugin parameters meet tmrvc::StreamingEngine.
#pragma once

#include "Parameters.h"

#include <tmrvc/streaming_engine.h>

namespace tmrvc::plugin {

class EngineAdapter {
public:
    explicit EngineAdapter(StreamingEngine& engine) noexcept : engine_(engine) {}

    // Audio thread, once per block (and on the message thread after prepare): forwards the values that
    // changed since the last call. Lock-free and allocation-free (the engine setters store atomics).
    void apply(const ParameterSnapshot& p) noexcept;
    // The next apply() forwards every value (after engine.prepare(), which resets the engine).
    void invalidate() noexcept { valid_ = false; }
    // Any thread, stateless: forwards q alone (the latency may depend on it; see TmrvcAudioProcessor).
    static void forwardQuality(StreamingEngine& engine, float q) noexcept { engine.setQuality(q); }

private:
    StreamingEngine& engine_;
    ParameterSnapshot last_{};
    bool valid_ = false;
};

}  // namespace tmrvc::plugin
