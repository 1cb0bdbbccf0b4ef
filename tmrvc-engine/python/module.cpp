// pybind11 module `tmrvc_engine`: the engine and its DSP parts, for Python parity tests and tools.
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace tmrvc::python {
void bindDsp(py::module_& m);     // bind_dsp.cpp
void bindEngine(py::module_& m);  // bind_engine.cpp
void bindEnrol(py::module_& m);   // bind_enrol.cpp
}  // namespace tmrvc::python

PYBIND11_MODULE(tmrvc_engine, m) {
    m.doc() = "TMRVC C++ engine (streaming voice conversion on ONNX Runtime)";
    tmrvc::python::bindDsp(m);
    tmrvc::python::bindEngine(m);
    tmrvc::python::bindEnrol(m);
}
