// Python bindings of the DSP parts (StftProcessor, PitchTracker, PolyphaseResampler, stream timing) for the
// parity tests in tests/python/test_dsp_parity.py. Arrays are float32, channel-first like tmrvc_core.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/formant_shifter.h"
#include "tmrvc/level_matcher.h"
#include "tmrvc/noise_gate.h"
#include "tmrvc/phase_reconstructor.h"
#include "tmrvc/pitch_tracker.h"
#include "tmrvc/polyphase_resampler.h"
#include "tmrvc/stft_processor.h"
#include "tmrvc/stream_timing.h"

namespace py = pybind11;

namespace tmrvc::python {

namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

FloatArray requireLength(const FloatArray& a, py::ssize_t length, const char* what) {
    if (a.ndim() != 1 || a.shape(0) != length) {
        throw py::value_error(std::string(what) + ": expected shape (" + std::to_string(length) + ",), got ndim " +
                              std::to_string(a.ndim()) + " size " + std::to_string(a.size()));
    }
    return a;
}

FloatArray require1d(const FloatArray& a, const char* what) {
    if (a.ndim() != 1) throw py::value_error(std::string(what) + ": expected a 1-D array, got ndim " +
                                             std::to_string(a.ndim()));
    return a;
}

// Causal frames of x (like tmrvc_core.dsp.stft.frames): frame t = x[240(t+1) - length : 240(t+1)].
void causalFrame(const float* x, py::ssize_t t, int length, float* frame) {
    const py::ssize_t end = constants::kHopLength * (t + 1);
    for (int i = 0; i < length; ++i) {
        const py::ssize_t index = end - length + i;
        frame[i] = index >= 0 ? x[index] : 0.0f;
    }
}

py::tuple analyzeFrame(StftProcessor& stft, const FloatArray& frame) {
    requireLength(frame, constants::kWindowLength, "analyze(frame)");
    FloatArray mag(constants::kNFreqBins), phase(constants::kNFreqBins), mel(constants::kNMels);
    stft.analyze(frame.data(), mag.mutable_data(), phase.mutable_data(), mel.mutable_data());
    return py::make_tuple(mag, phase, mel);
}

py::tuple analyzeSignal(StftProcessor& stft, const FloatArray& signal) {
    require1d(signal, "analyze_signal(x)");
    const py::ssize_t frames = signal.shape(0) / constants::kHopLength;
    FloatArray mag({static_cast<py::ssize_t>(constants::kNFreqBins), frames});
    FloatArray phase({static_cast<py::ssize_t>(constants::kNFreqBins), frames});
    FloatArray mel({static_cast<py::ssize_t>(constants::kNMels), frames});
    std::vector<float> frame(constants::kWindowLength), m(constants::kNFreqBins), p(constants::kNFreqBins),
        l(constants::kNMels);
    auto magView = mag.mutable_unchecked<2>();
    auto phaseView = phase.mutable_unchecked<2>();
    auto melView = mel.mutable_unchecked<2>();
    for (py::ssize_t t = 0; t < frames; ++t) {
        causalFrame(signal.data(), t, constants::kWindowLength, frame.data());
        stft.analyze(frame.data(), m.data(), p.data(), l.data());
        for (int k = 0; k < constants::kNFreqBins; ++k) {
            magView(k, t) = m[static_cast<std::size_t>(k)];
            phaseView(k, t) = p[static_cast<std::size_t>(k)];
        }
        for (int k = 0; k < constants::kNMels; ++k) melView(k, t) = l[static_cast<std::size_t>(k)];
    }
    return py::make_tuple(mag, phase, mel);
}

FloatArray synthesizeSignal(StftProcessor& stft, const FloatArray& mag, const FloatArray& phase) {
    if (mag.ndim() != 2 || mag.shape(0) != constants::kNFreqBins || phase.ndim() != 2 ||
        phase.shape(0) != mag.shape(0) || phase.shape(1) != mag.shape(1)) {
        throw py::value_error("synthesize_signal: expected mag and phase of equal shape (513, T)");
    }
    const py::ssize_t frames = mag.shape(1);
    FloatArray out(constants::kHopLength * frames);
    std::vector<float> m(constants::kNFreqBins), p(constants::kNFreqBins);
    auto magView = mag.unchecked<2>();
    auto phaseView = phase.unchecked<2>();
    for (py::ssize_t t = 0; t < frames; ++t) {
        for (int k = 0; k < constants::kNFreqBins; ++k) {
            m[static_cast<std::size_t>(k)] = magView(k, t);
            p[static_cast<std::size_t>(k)] = phaseView(k, t);
        }
        stft.synthesize(m.data(), p.data(), out.mutable_data() + constants::kHopLength * t);
    }
    return out;
}

FloatArray trackSignal(PitchTracker& tracker, const FloatArray& signal) {
    require1d(signal, "track(x)");
    const py::ssize_t frames = signal.shape(0) / constants::kHopLength;
    FloatArray f0(frames);
    std::vector<float> frame(static_cast<std::size_t>(tracker.windowLength()));
    for (py::ssize_t t = 0; t < frames; ++t) {
        causalFrame(signal.data(), t, tracker.windowLength(), frame.data());
        f0.mutable_data()[t] = tracker.estimate(frame.data());
    }
    return f0;
}

// x_in, y_out (n,) with n a multiple of the hop -> y_out matched hop by hop (continues the state).
FloatArray levelMatch(LevelMatcher& l, const FloatArray& xIn, const FloatArray& yOut) {
    require1d(xIn, "process(x_in, y_out)");
    require1d(yOut, "process(x_in, y_out)");
    if (xIn.shape(0) != yOut.shape(0) || xIn.shape(0) % constants::kHopLength != 0)
        throw py::value_error("process(x_in, y_out): expected two arrays of one length, a multiple of 240");
    FloatArray y(yOut.shape(0));
    std::copy(yOut.data(), yOut.data() + yOut.shape(0), y.mutable_data());
    for (py::ssize_t t = 0; t < xIn.shape(0); t += constants::kHopLength)
        l.process(xIn.data() + t, y.mutable_data() + t);
    return y;
}

// mag (513, T) -> mag with its envelope shifted, frame after frame.
FloatArray shiftFormants(FormantShifter& f, const FloatArray& mag) {
    if (mag.ndim() != 2 || mag.shape(0) != constants::kNFreqBins)
        throw py::value_error("process(mag): expected shape (513, T), got ndim " + std::to_string(mag.ndim()));
    const py::ssize_t frames = mag.shape(1);
    FloatArray out({static_cast<py::ssize_t>(constants::kNFreqBins), frames});
    std::vector<float> frame(static_cast<std::size_t>(constants::kNFreqBins));
    for (py::ssize_t t = 0; t < frames; ++t) {
        for (int k = 0; k < constants::kNFreqBins; ++k) frame[static_cast<std::size_t>(k)] = mag.at(k, t);
        f.process(frame.data());
        for (int k = 0; k < constants::kNFreqBins; ++k) out.mutable_at(k, t) = frame[static_cast<std::size_t>(k)];
    }
    return out;
}

// x_newest, y_out (n,), voiced (n // 240,) -> y_out gated hop by hop (continues the state).
FloatArray gateSignal(NoiseGate& g, const FloatArray& newest, const py::array_t<bool>& voiced, const FloatArray& yOut,
                      float thresholdDb) {
    require1d(newest, "process(x_newest, voiced, y_out, threshold_db)");
    require1d(yOut, "process(x_newest, voiced, y_out, threshold_db)");
    const py::ssize_t n = yOut.shape(0);
    if (newest.shape(0) != n || n % constants::kHopLength != 0 || voiced.size() != n / constants::kHopLength)
        throw py::value_error("process: expected x_newest and y_out of one length (a multiple of 240), voiced per hop");
    FloatArray y(n);
    std::copy(yOut.data(), yOut.data() + n, y.mutable_data());
    for (py::ssize_t t = 0; t < n; t += constants::kHopLength)
        g.process(newest.data() + t, voiced.data()[t / constants::kHopLength], thresholdDb, y.mutable_data() + t);
    return y;
}

// mag (513, T) -> phase (513, T), frame after frame through the reconstructor (continues its state).
FloatArray reconstructPhase(PhaseReconstructor& r, const FloatArray& mag) {
    if (mag.ndim() != 2 || mag.shape(0) != constants::kNFreqBins)
        throw py::value_error("reconstruct(mag): expected shape (513, T), got ndim " + std::to_string(mag.ndim()));
    const py::ssize_t frames = mag.shape(1);
    FloatArray phase({static_cast<py::ssize_t>(constants::kNFreqBins), frames});
    auto in = mag.unchecked<2>();
    auto out = phase.mutable_unchecked<2>();
    std::vector<float> m(constants::kNFreqBins), p(constants::kNFreqBins);
    for (py::ssize_t t = 0; t < frames; ++t) {
        for (py::ssize_t k = 0; k < constants::kNFreqBins; ++k) m[static_cast<std::size_t>(k)] = in(k, t);
        r.step(m.data(), p.data());
        for (py::ssize_t k = 0; k < constants::kNFreqBins; ++k) out(k, t) = p[static_cast<std::size_t>(k)];
    }
    return phase;
}

FloatArray resampleBlock(PolyphaseResampler& resampler, const FloatArray& block) {
    require1d(block, "process(block)");
    const int n = static_cast<int>(block.shape(0));
    std::vector<float> out(static_cast<std::size_t>(resampler.maxOutput(n)) + 1);
    const int written = resampler.process(block.data(), n, out.data());
    FloatArray result(written);
    std::copy(out.begin(), out.begin() + written, result.mutable_data());
    return result;
}

}  // namespace

void bindDsp(py::module_& m) {
    py::class_<StftProcessor>(m, "StftProcessor")
        .def(py::init<>())
        .def("analyze", &analyzeFrame, py::arg("frame"), "frame (960,) -> (mag (513,), phase (513,), log_mel (80,))")
        .def("analyze_signal", &analyzeSignal, py::arg("x"),
             "x (n,) -> (mag (513,T), phase (513,T), log_mel (80,T)) over all causal frames, T = n // 240")
        .def("synthesize", &synthesizeSignal, py::arg("mag"), py::arg("phase"),
             "mag, phase (513,T) -> (240*T,) via iSTFT + overlap-add (continues the accumulator)")
        .def("reset", &StftProcessor::reset)
        .def_property_readonly("analysis_window", [](const StftProcessor& s) { return s.analysisWindow(); })
        .def_property_readonly("synthesis_window", [](const StftProcessor& s) { return s.synthesisWindow(); });

    py::class_<PitchTracker>(m, "PitchTracker")
        .def(py::init<int>(), py::arg("window_length") = constants::kF0WindowLength)
        .def("estimate",
             [](PitchTracker& t, const FloatArray& frame) {
                 requireLength(frame, t.windowLength(), "estimate(frame)");
                 return t.estimate(frame.data());
             },
             py::arg("frame"), "frame (W,) -> F0 in Hz, 0 = unvoiced")
        .def("track", &trackSignal, py::arg("x"), "x (n,) -> (n // 240,) F0 over the causal frames")
        .def_property_readonly("window_length", &PitchTracker::windowLength);
    py::class_<PhaseReconstructor>(m, "PhaseReconstructor")
        .def(py::init<>())
        .def("reconstruct", &reconstructPhase, py::arg("mag"), "mag (513,T) -> phase (513,T), state carried")
        .def("reset", &PhaseReconstructor::reset);
    py::class_<LevelMatcher>(m, "LevelMatcher")
        .def(py::init<>())
        .def("process", &levelMatch, py::arg("x_in"), py::arg("y_out"),
             "x_in, y_out (n,) -> y_out with the level of x_in, hop by hop, state carried")
        .def("reset", &LevelMatcher::reset);
    py::class_<FormantShifter>(m, "FormantShifter")
        .def(py::init<>())
        .def("set_semitones", &FormantShifter::setSemitones, py::arg("semitones"))
        .def("process", &shiftFormants, py::arg("mag"), "mag (513,T) -> mag with the envelope shifted");
    py::class_<NoiseGate>(m, "NoiseGate")
        .def(py::init<>())
        .def("process", &gateSignal, py::arg("x_newest"), py::arg("voiced"), py::arg("y_out"), py::arg("threshold_db"),
             "newest input hops, voicing per hop, output hops -> gated output, state carried")
        .def("reset", &NoiseGate::reset);
    m.def("f0_to_model_input", &f0ToModelInput, py::arg("f0_hz"), py::arg("semitones") = 0.0f);

    py::class_<PolyphaseResampler>(m, "PolyphaseResampler")
        .def(py::init<>())
        .def("prepare", &PolyphaseResampler::prepare, py::arg("in_rate"), py::arg("out_rate"), py::arg("max_input"),
             "returns '' or why the ratio is unsupported")
        .def("process", &resampleBlock, py::arg("block"), "block (n <= max_input,) -> outputs that now exist")
        .def("reset", &PolyphaseResampler::reset)
        .def("max_output", &PolyphaseResampler::maxOutput, py::arg("n"))
        .def_property_readonly("taps", [](const PolyphaseResampler& r) {
            FloatArray taps(static_cast<py::ssize_t>(r.taps().size()));
            std::copy(r.taps().begin(), r.taps().end(), taps.mutable_data());
            return taps;
        })
        .def_property_readonly("host_delay", &PolyphaseResampler::hostDelay)
        .def_property_readonly("is_identity", &PolyphaseResampler::isIdentity)
        .def_property_readonly("up", &PolyphaseResampler::up)
        .def_property_readonly("down", &PolyphaseResampler::down);

    m.def(
        "compute_stream_timing",
        [](int hostRate) {
            StreamTiming timing;
            const std::string error = computeStreamTiming(hostRate, timing);
            if (!error.empty()) throw py::value_error(error);
            py::dict d;
            d["host_rate"] = timing.hostRate;
            d["prefill"] = timing.prefill;
            d["hop_host"] = timing.hopHost;
            d["down_delay"] = timing.downDelay;
            d["up_delay"] = timing.upDelay;
            d["latency"] = timing.latency;
            return d;
        },
        py::arg("host_rate"), "stream timing at host_rate as a dict; ValueError when unsupported");
}

}  // namespace tmrvc::python
