// Python bindings of the engine: StreamingEngine (the whole pipeline), OrtModel (one model, one frame at a time,
// for ORT-Python vs C++ parity), OrtSessionBundle (a model folder, speaker converters), the .tmrvc_speaker reader
// and the LoRA merge. Arrays are float32 numpy arrays; caller mistakes raise ValueError.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/lora_merge.h"
#include "tmrvc/model_folder.h"
#include "tmrvc/ort_model.h"
#include "tmrvc/ort_session_bundle.h"
#include "tmrvc/speaker_file.h"
#include "tmrvc/streaming_engine.h"

namespace py = pybind11;

namespace tmrvc::python {

namespace {

using FloatArray = py::array_t<float, py::array::c_style | py::array::forcecast>;

std::string shapeText(const std::vector<std::int64_t>& s) {
    std::string t = "(";
    for (std::size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
    return t + (s.size() == 1 ? ",)" : ")");
}

void raiseIf(const std::string& err) {
    if (!err.empty()) throw py::value_error(err);
}

ModelRole roleFromName(const std::string& name) {
    for (ModelRole r : {ModelRole::ContentEncoder, ModelRole::IrEstimator, ModelRole::SpeakerEncoder,
                        ModelRole::Converter, ModelRole::ConverterHq, ModelRole::Vocoder})
        if (name == modelRoleName(r)) return r;
    throw py::value_error("unknown model role '" + name +
                          "', expected content_encoder, ir_estimator, speaker_encoder, converter, converter_hq or vocoder");
}

// Copies the given inputs (state_in optional: absent = the carried state), runs, returns every output.
py::dict runModel(OrtModel& m, const py::dict& inputs) {
    if (!m.loaded()) throw py::value_error("OrtModel is not loaded");
    std::vector<bool> given(m.inputCount(), false);
    for (const auto& item : inputs) {
        const std::string name = py::cast<std::string>(item.first);
        const int idx = m.inputIndex(name);
        if (idx < 0) throw py::value_error("unknown input '" + name + "' for " + m.path());
        const auto i = static_cast<std::size_t>(idx);
        const FloatArray a = py::cast<FloatArray>(item.second);
        const std::vector<std::int64_t>& want = m.inputShape(i);
        bool same = a.ndim() == static_cast<py::ssize_t>(want.size());
        for (std::size_t d = 0; same && d < want.size(); ++d) same = a.shape(static_cast<py::ssize_t>(d)) == want[d];
        if (!same) {
            std::vector<std::int64_t> got;
            for (py::ssize_t d = 0; d < a.ndim(); ++d) got.push_back(a.shape(d));
            throw py::value_error("input '" + name + "': expected shape " + shapeText(want) + ", got " + shapeText(got));
        }
        std::copy(a.data(), a.data() + a.size(), m.input(i));
        given[i] = true;
    }
    for (std::size_t i = 0; i < m.inputCount(); ++i)
        if (!given[i] && m.inputName(i) != m.spec().stateInput)
            throw py::value_error("missing input '" + m.inputName(i) + "'");
    bool ok = false;
    {
        py::gil_scoped_release release;
        ok = m.run();
    }
    if (!ok) throw std::runtime_error(std::string("ONNX Runtime run failed: ") + m.lastError());
    py::dict out;
    for (std::size_t i = 0; i < m.outputCount(); ++i) {
        std::vector<py::ssize_t> shape(m.outputShape(i).begin(), m.outputShape(i).end());
        FloatArray a(shape);
        std::copy(m.output(i), m.output(i) + m.outputSize(i), a.mutable_data());
        out[py::str(m.outputName(i))] = a;
    }
    return out;
}

OrtModel loadModel(const std::string& path, const std::string& role, std::int64_t loraSize, int threads,
                   bool ioBinding, std::int64_t dynamicLength) {
    OrtModelOptions o;
    o.intraOpThreads = threads;
    o.useIoBinding = ioBinding;
    OrtModel m;
    raiseIf(m.load(path, contractSpec(roleFromName(role), loraSize), o));
    if (dynamicLength > 0) raiseIf(m.setDynamicLength(dynamicLength));
    return m;
}

py::dict speakerToDict(const SpeakerReadResult& r) {
    const SpeakerProfile& s = r.speaker;
    py::dict d;
    d["embedding"] = FloatArray(static_cast<py::ssize_t>(s.embedding.size()), s.embedding.data());
    d["lora_delta"] = FloatArray(static_cast<py::ssize_t>(s.loraDelta.size()), s.loraDelta.data());
    d["name"] = s.name;
    d["model_id"] = s.modelId;
    d["created_at"] = s.createdAt;
    d["f0_log_mean"] = s.f0LogMean;
    d["f0_log_std"] = s.f0LogStd;
    d["voice_source_preset"] =
        s.hasVoiceSourcePreset
            ? py::object(FloatArray(static_cast<py::ssize_t>(s.voiceSourcePreset.size()), s.voiceSourcePreset.data()))
            : py::object(py::none());
    d["metadata_json"] = s.metadataJson;
    if (s.hasBank()) {
        FloatArray keys({static_cast<py::ssize_t>(s.bankFrames), static_cast<py::ssize_t>(s.bankKeySize)});
        FloatArray values({static_cast<py::ssize_t>(s.bankFrames), static_cast<py::ssize_t>(s.bankValueSize)});
        std::copy(s.bankKeys.begin(), s.bankKeys.end(), keys.mutable_data());
        std::copy(s.bankValues.begin(), s.bankValues.end(), values.mutable_data());
        d["bank_keys"] = keys;
        d["bank_values"] = values;
    } else {
        d["bank_keys"] = py::none();
        d["bank_values"] = py::none();
    }
    d["warning"] = r.warning;
    d["model_id_mismatch"] = r.modelIdMismatch;
    return d;
}

py::dict readSpeaker(const std::string& path, std::size_t embedSize, std::size_t loraSize, const std::string& modelId,
                     bool allowMismatch, std::size_t bankValueSize) {
    SpeakerExpectation e;
    e.embedSize = embedSize;
    e.loraSize = loraSize;
    e.modelId = modelId;
    e.allowModelIdMismatch = allowMismatch;
    e.bankValueSize = bankValueSize;
    const SpeakerReadResult r = readSpeakerFile(path, e);
    if (!r.ok) throw py::value_error(r.error);
    return speakerToDict(r);
}

py::list mergeLoraPy(int rank, double alpha, int dIn, int dOut, const std::vector<FloatArray>& base,
                     const FloatArray& delta) {
    LoraLayout l;
    l.rank = rank;
    l.alpha = alpha;
    l.dIn = dIn;
    l.dOut = dOut;
    std::vector<FilmWeight> weights;
    for (std::size_t k = 0; k < base.size(); ++k) {
        l.layers.push_back(static_cast<int>(k));
        weights.push_back({"film." + std::to_string(k) + ".weight", std::vector<float>(base[k].data(), base[k].data() + base[k].size())});
    }
    std::vector<InitializerOverride> merged;
    raiseIf(mergeLora(l, weights, delta.data(), static_cast<std::size_t>(delta.size()), merged));
    py::list out;
    for (const InitializerOverride& o : merged) {
        FloatArray a({static_cast<py::ssize_t>(dOut), static_cast<py::ssize_t>(dIn)});
        std::copy(o.values.begin(), o.values.end(), a.mutable_data());
        out.append(a);
    }
    return out;
}

FloatArray processSignal(StreamingEngine& e, const FloatArray& x, int blockSize) {
    if (x.ndim() != 1) throw py::value_error("process(x): expected a 1-D float32 array, got ndim " + std::to_string(x.ndim()));
    if (blockSize < 1) throw py::value_error("process: block_size must be >= 1, got " + std::to_string(blockSize));
    FloatArray y(x.shape(0));
    const float* in = x.data();
    float* out = y.mutable_data();
    const auto n = static_cast<std::size_t>(x.shape(0));
    py::gil_scoped_release release;
    for (std::size_t pos = 0; pos < n; pos += static_cast<std::size_t>(blockSize)) {
        const auto len = static_cast<int>(std::min<std::size_t>(static_cast<std::size_t>(blockSize), n - pos));
        e.process(in + pos, out + pos, len);
    }
    return y;
}

py::dict statsDict(const StreamingEngine& e) {
    const EngineStats s = e.stats();
    py::dict d;
    d["last_hop_ms"] = s.lastHopMs;
    d["avg_hop_ms"] = s.avgHopMs;
    d["max_hop_ms"] = s.maxHopMs;
    d["p99_hop_ms"] = s.p99HopMs;
    d["hops"] = s.hops;
    d["overruns"] = s.overruns;
    d["underruns"] = s.underruns;
    d["nan_frames"] = s.nanFrames;
    d["dropped_input"] = s.droppedInput;
    d["effective_quality"] = s.effectiveQuality;
    d["lookahead_hops"] = s.lookaheadHops;
    d["hq_converter"] = s.hqConverter;
    d["overload_bypass"] = s.overloadBypass;
    d["ir_interval"] = s.irInterval;
    return d;
}

void bindStreamingEngine(py::module_& m) {
    using E = StreamingEngine;
    py::class_<E>(m, "StreamingEngine", "The streaming voice-conversion engine (block in, block out).")
        .def(py::init<>())
        .def("load_models", [](E& e, const std::string& dir, bool int8) {
            std::string err;
            { py::gil_scoped_release r; err = e.loadModels(dir, int8); }
            raiseIf(err);
        }, py::arg("model_dir"), py::arg("int8") = false,
           "Load and validate a model folder; ValueError with every problem on failure (old models stay).")
        .def("load_speaker", [](E& e, const std::string& path, bool allow) {
            std::string err;
            { py::gil_scoped_release r; err = e.loadSpeaker(path, allow); }
            raiseIf(err);
        }, py::arg("path"), py::arg("allow_model_id_mismatch") = false)
        .def("load_models_async", &E::loadModelsAsync, py::arg("model_dir"), py::arg("int8") = false)
        .def("load_speaker_async", &E::loadSpeakerAsync, py::arg("path"), py::arg("allow_model_id_mismatch") = false)
        .def("loading", &E::loading)
        .def("wait_for_loads", &E::waitForLoads, py::call_guard<py::gil_scoped_release>())
        .def("set_identity_mode", &E::setIdentityMode, py::arg("on"))
        .def("prepare", [](E& e, double rate, int maxBlock) { raiseIf(e.prepare(rate, maxBlock)); },
             py::arg("sample_rate"), py::arg("max_block_size"))
        .def("process", &processSignal, py::arg("x"), py::arg("block_size"),
             "Stream x (float32, 1-D) through process() in blocks of block_size; returns the output, same length.")
        .def("reset", &E::reset)
        .def("set_non_realtime", &E::setNonRealtime, py::arg("offline"))
        .def("latency_samples", &E::latencySamples)
        .def("sample_rate", &E::sampleRate)
        .def("set_pitch_shift", &E::setPitchShiftSemitones, py::arg("semitones"))
        .def("set_auto_pitch_match", &E::setAutoPitchMatch, py::arg("on"))
        .def("set_level_match", &E::setLevelMatch, py::arg("on"))
        .def("set_gate_threshold_db", &E::setGateThresholdDb, py::arg("db"))
        .def("set_formant_shift", &E::setFormantShiftSemitones, py::arg("semitones"))
        .def("set_voice_preset_amount", &E::setVoicePresetAmount, py::arg("amount"))
        .def("set_acoustic_manual", &E::setAcousticManual, py::arg("manual"), py::arg("rt60_seconds") = 0.3f,
             py::arg("drr_db") = 10.0f, py::arg("tilt_db_per_octave") = 0.0f)
        .def("set_quality", &E::setQuality, py::arg("q"))
        .def("set_dry_wet", &E::setDryWet, py::arg("wet"))
        .def("set_output_gain_db", &E::setOutputGainDb, py::arg("db"))
        .def("set_bypass", &E::setBypass, py::arg("on"))
        .def("set_vocoder_phase", &E::setVocoderPhase, py::arg("on"))
        .def("set_injected_hop_delay_ms", &E::setInjectedHopDelayMs, py::arg("ms"))
        .def("models_loaded", &E::modelsLoaded)
        .def("speaker_loaded", &E::speakerLoaded)
        .def("speaker_name", &E::speakerName)
        .def("speaker_bank_active", &E::speakerBankActive)
        .def("status", &E::status)
        .def("last_error", &E::lastError)
        .def("cpu_load", &E::cpuLoad)
        .def("stats", &statsDict);
}

void bindModels(py::module_& m) {
    py::class_<OrtModel>(m, "OrtModel", "One ONNX model on the engine's ORT C API layer (contract-checked).")
        .def(py::init(&loadModel), py::arg("path"), py::arg("role"), py::arg("lora_size") = 0,
             py::arg("intra_op_threads") = 1, py::arg("io_binding") = false, py::arg("dynamic_length") = 0)
        .def_property_readonly("input_names", [](const OrtModel& o) {
            std::vector<std::string> v;
            for (std::size_t i = 0; i < o.inputCount(); ++i) v.push_back(o.inputName(i));
            return v;
        })
        .def_property_readonly("output_names", [](const OrtModel& o) {
            std::vector<std::string> v;
            for (std::size_t i = 0; i < o.outputCount(); ++i) v.push_back(o.outputName(i));
            return v;
        })
        .def_property_readonly("state_shape", [](const OrtModel& o) -> py::object {
            if (!o.hasState()) return py::none();
            return py::tuple(py::cast(o.stateShape()));
        })
        .def("input_shape", [](const OrtModel& o, const std::string& name) {
            const int i = o.inputIndex(name);
            if (i < 0) throw py::value_error("unknown input '" + name + "'");
            return py::tuple(py::cast(o.inputShape(static_cast<std::size_t>(i))));
        })
        .def("set_dynamic_length", [](OrtModel& o, std::int64_t n) { raiseIf(o.setDynamicLength(n)); })
        .def("reset_state", &OrtModel::resetState)
        .def("run", &runModel, py::arg("inputs"),
             "Run one step. inputs: dict name -> float32 array of the bound shape (state_in optional: the carried "
             "state otherwise). Returns dict name -> array (state_out is also carried to the next run).");

    py::class_<OrtSessionBundle, std::shared_ptr<OrtSessionBundle>>(m, "OrtSessionBundle")
        .def(py::init([](const std::string& dir, bool int8, int threads, bool speakerEncoder) {
                 auto b = std::make_shared<OrtSessionBundle>();
                 BundleOptions o;
                 o.int8 = int8;
                 o.intraOpThreads = threads;
                 o.loadSpeakerEncoder = speakerEncoder;
                 raiseIf(b->load(dir, o));
                 return b;
             }),
             py::arg("model_dir"), py::arg("int8") = false, py::arg("intra_op_threads") = 1,
             py::arg("speaker_encoder") = false)
        .def_property_readonly("model_id", [](const OrtSessionBundle& b) { return b.info().modelId; })
        .def_property_readonly("lora_size", [](const OrtSessionBundle& b) { return b.info().lora.size(); })
        .def("model", [](OrtSessionBundle& b, const std::string& role) -> OrtModel& {
            switch (roleFromName(role)) {
                case ModelRole::ContentEncoder: return b.contentEncoder();
                case ModelRole::IrEstimator: return b.irEstimator();
                case ModelRole::SpeakerEncoder: return b.speakerEncoder();
                case ModelRole::Converter: return b.converter();
                case ModelRole::ConverterHq: return b.converterHq();
                case ModelRole::Vocoder: return b.vocoder();
            }
            throw py::value_error("unknown role");
        }, py::arg("role"), py::return_value_policy::reference_internal)
        .def_property_readonly("has_bank", &OrtSessionBundle::hasBank)
        .def_property_readonly("bank_value_size", [](const OrtSessionBundle& b) { return b.info().bank.valueSize; })
        .def("build_speaker_converter", [](const OrtSessionBundle& b, const FloatArray& delta) {
            OrtModel out;
            raiseIf(b.buildSpeakerConverter(std::vector<float>(delta.data(), delta.data() + delta.size()), out));
            return out;
        }, py::arg("lora_delta"), "A converter whose FiLM initializers carry the merged LoRA delta.")
        .def("speaker_converter", [](const OrtSessionBundle& b, const std::string& path, const std::string& role,
                                     bool allowMismatch) {
            const SpeakerReadResult r = readSpeakerFile(path, b.speakerExpectation(allowMismatch));
            if (!r.ok) throw py::value_error(r.error);
            OrtModel out;
            raiseIf(b.buildSpeakerConverter(r.speaker, out, roleFromName(role)));
            return py::make_tuple(std::move(out), b.appliesBank(r.speaker), b.bankWarning(r.speaker));
        }, py::arg("speaker_path"), py::arg("role") = "converter", py::arg("allow_model_id_mismatch") = false,
           "(converter, bank_applied, warning) for a .tmrvc_speaker file: its LoRA merged, and its bank in the "
           "bank.* initializers when both the models and the speaker have one.");
}

}  // namespace

void bindEngine(py::module_& m) {
    bindStreamingEngine(m);
    bindModels(m);
    m.def("read_speaker_file", &readSpeaker, py::arg("path"), py::arg("embed_size") = constants::kDSpeaker,
          py::arg("lora_size") = 0, py::arg("model_id") = "", py::arg("allow_model_id_mismatch") = false,
          py::arg("bank_value_size") = 0,
          "Read a .tmrvc_speaker v2/v3 file (ValueError naming the problem); sizes of 0 / empty model_id skip a "
          "check. bank_keys / bank_values are None without a bank.");
    m.def("merge_lora", &mergeLoraPy, py::arg("rank"), py::arg("alpha"), py::arg("d_in"), py::arg("d_out"),
          py::arg("base_weights"), py::arg("lora_delta"),
          "W' = W + (alpha/rank) B@A for each base weight [d_out, d_in] (contract layout of lora_delta).");
    m.attr("CONSTANTS_HASH") = constants::kConstantsHash;
}

}  // namespace tmrvc::python
