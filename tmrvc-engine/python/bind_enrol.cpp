// Python binding of the zero-shot enroller (zero_shot_enroller.h): the engine half of the parity test with
// `tmrvc-enroll --zero-shot`, and a way for tools to enrol through the C++ code path.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <stdexcept>

#include "tmrvc/frame_envelopes.h"
#include "tmrvc/zero_shot_enroller.h"

namespace py = pybind11;

namespace tmrvc::python {

void bindEnrol(py::module_& m) {
    m.def(
        "enrol_zero_shot",
        [](const std::string& modelDir, const py::list& clips, const std::string& name, const std::string& createdAt,
           const std::string& out, int threads, bool bank) {
            std::vector<EnrolmentClip> cs;
            for (const py::handle item : clips) {
                const auto pair = item.cast<py::tuple>();
                if (pair.size() != 2) throw std::invalid_argument("enrol_zero_shot: clips are (samples, sample_rate)");
                const auto x = pair[0].cast<py::array_t<float, py::array::c_style | py::array::forcecast>>();
                if (x.ndim() != 1) throw std::invalid_argument("enrol_zero_shot: each clip must be mono, shape (n,)");
                cs.push_back({std::vector<float>(x.data(), x.data() + x.size()), pair[1].cast<int>()});
            }
            ZeroShotEnrolment r;
            {
                py::gil_scoped_release release;
                r = enrolZeroShot(modelDir, cs, name, createdAt, {}, threads, bank);
            }
            if (!r.ok) throw std::runtime_error(r.error);
            if (!out.empty()) {
                if (std::string err = writeFileAtomically(out, r.fileBytes); !err.empty())
                    throw std::runtime_error(err);
            }
            py::dict d;
            d["spk_embed"] = py::array_t<float>(static_cast<py::ssize_t>(r.embedding.size()), r.embedding.data());
            d["lora_delta"] = py::array_t<float>(static_cast<py::ssize_t>(r.loraDelta.size()), r.loraDelta.data());
            d["metadata_json"] = r.metadataJson;
            d["bank_frames"] = r.bank.frames;
            d["file_bytes"] = py::bytes(reinterpret_cast<const char*>(r.fileBytes.data()), r.fileBytes.size());
            return d;
        },
        py::arg("model_dir"), py::arg("clips"), py::arg("name"), py::arg("created_at") = "", py::arg("out") = "",
        py::arg("threads") = 1, py::arg("bank") = true,
        "Zero-shot enrolment in C++: clips [(float32 samples, rate)] -> dict(spk_embed, lora_delta, metadata_json, "
        "bank_frames, file_bytes); writes the .tmrvc_speaker to `out` when given; bank=False leaves the speaker "
        "bank out. Raises RuntimeError with the reason.");
    m.def(
        "bank_values",
        [](const py::array_t<double, py::array::c_style | py::array::forcecast>& logMag,
           const py::array_t<double, py::array::c_style | py::array::forcecast>& f0,
           const std::vector<double>& knotsHz) {
            if (logMag.ndim() != 2 || f0.ndim() != 1 || f0.shape(0) != logMag.shape(1))
                throw std::invalid_argument("bank_values: expected log_mag (n_bins, T) and f0 (T,)");
            const auto bins = static_cast<int>(logMag.shape(0));
            const auto frames = static_cast<py::ssize_t>(logMag.shape(1));
            EnvelopeProjector p;
            if (std::string err = p.prepare(knotsHz, bins); !err.empty()) throw std::invalid_argument(err);
            py::array_t<float> out({frames, static_cast<py::ssize_t>(p.valueSize())});
            std::vector<double> column(static_cast<std::size_t>(bins));
            const auto lm = logMag.unchecked<2>();
            for (py::ssize_t t = 0; t < frames; ++t) {
                for (int b = 0; b < bins; ++b) column[static_cast<std::size_t>(b)] = lm(b, t);
                p.values(column, f0.at(t), out.mutable_data(t, 0));
            }
            return out;
        },
        py::arg("log_mag"), py::arg("f0"), py::arg("knots_hz"),
        "The speaker bank's values in C++ (frame_envelopes.h), as tmrvc_core.dsp.envelopes.bank_values: log_mag "
        "(n_bins, T), f0 (T,) Hz -> (T, 2 n_knots) float32.");
}

}  // namespace tmrvc::python
