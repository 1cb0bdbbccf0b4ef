// StreamTiming: FIFO pre-fill and reported latency of the engine timeline at a host rate.
// Definitions: docs/dsp-and-streaming.md ("Engine timeline and latency"); equals tmrvc_core.dsp.timing.
#pragma once

#include <cstdint>
#include <string>

namespace tmrvc {

struct StreamTiming {
    int hostRate = 0;
    int prefill = 0;    // P: zeros the host-side output FIFO starts with
    int hopHost = 0;    // round(240 * hostRate / 24000)
    int downDelay = 0;  // group delay of host -> 24 kHz, host samples
    int upDelay = 0;    // group delay of 24 kHz -> host, host samples
    int latency = 0;    // prefill + hopHost + downDelay + upDelay
};

// Cumulative counts after n host input samples: 24 kHz inputs, synthesised 24 kHz outputs (whole hops),
// host-rate outputs. Rates must be supported (see computeStreamTiming).
struct StreamCounts {
    std::int64_t in24 = 0;
    std::int64_t out24 = 0;
    std::int64_t hostOut = 0;
};
StreamCounts streamCounts(std::int64_t n, int hostRate) noexcept;

// Fills `out` for hostRate; returns "" or why the rate is unsupported.
std::string computeStreamTiming(int hostRate, StreamTiming& out);

// Lookahead hops the latency-quality knob asks for: round(kMaxLookaheadHops * q), halves up, q clamped to 0..1.
int lookaheadHops(float q) noexcept;
// Their duration in host samples: hops * 240 * hostRate / 24000, rounded half up (exact at 44.1/48/88.2/96 kHz).
int lookaheadHostSamples(int hops, int hostRate) noexcept;

}  // namespace tmrvc
