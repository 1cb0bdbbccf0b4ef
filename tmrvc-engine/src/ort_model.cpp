#include "tmrvc/ort_model.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "tmrvc/ort_api.h"
#include "tmrvc/tensor_pool.h"

namespace tmrvc {

namespace {

struct ModelTensor {
    std::string name;
    ONNXTensorElementDataType type = ONNX_TENSOR_ELEMENT_DATA_TYPE_UNDEFINED;
    std::vector<std::int64_t> dims;  // negative = dynamic
    bool isTensor = false;
};

std::string shapeText(const std::vector<std::int64_t>& shape) {
    std::string s = "[";
    for (std::size_t i = 0; i < shape.size(); ++i) {
        if (i > 0) s += ",";
        if (shape[i] == kAnyDim) s += "*";
        else if (shape[i] < 0) s += "?";
        else s += std::to_string(shape[i]);
    }
    return s + "]";
}

std::size_t elementCount(const std::vector<std::int64_t>& shape) {
    std::size_t n = 1;
    for (std::int64_t d : shape) n *= static_cast<std::size_t>(d);
    return n;
}

// Reads the name, element type and dims of each input (isInput) or output of a session.
std::string readSessionTensors(OrtSession* session, bool isInput, std::vector<ModelTensor>& out) {
    const OrtApi* api = ortApi();
    std::size_t count = 0;
    std::string err = ortStatusMessage(isInput ? api->SessionGetInputCount(session, &count)
                                               : api->SessionGetOutputCount(session, &count));
    if (!err.empty()) return err;
    OrtAllocator* alloc = nullptr;
    err = ortStatusMessage(api->GetAllocatorWithDefaultOptions(&alloc));
    if (!err.empty()) return err;
    out.assign(count, {});
    for (std::size_t i = 0; i < count; ++i) {
        char* name = nullptr;
        err = ortStatusMessage(isInput ? api->SessionGetInputName(session, i, alloc, &name)
                                       : api->SessionGetOutputName(session, i, alloc, &name));
        if (!err.empty()) return err;
        out[i].name = name;
        alloc->Free(alloc, name);
        OrtTypeInfo* typeInfo = nullptr;
        err = ortStatusMessage(isInput ? api->SessionGetInputTypeInfo(session, i, &typeInfo)
                                       : api->SessionGetOutputTypeInfo(session, i, &typeInfo));
        if (!err.empty()) return err;
        const OrtTensorTypeAndShapeInfo* info = nullptr;
        OrtStatus* st = api->CastTypeInfoToTensorInfo(typeInfo, &info);
        if (st == nullptr && info != nullptr) {
            out[i].isTensor = true;
            std::size_t nd = 0;
            st = api->GetTensorElementType(info, &out[i].type);
            if (st == nullptr) st = api->GetDimensionsCount(info, &nd);
            out[i].dims.assign(nd, 0);
            if (st == nullptr && nd > 0) st = api->GetDimensions(info, out[i].dims.data(), nd);
        }
        api->ReleaseTypeInfo(typeInfo);
        err = ortStatusMessage(st);
        if (!err.empty()) return err;
    }
    return {};
}

}  // namespace

struct OrtModel::Impl {
    std::string path;
    ModelSpec spec;
    OrtModelOptions options;
    bool loaded = false;
    OrtSession* session = nullptr;
    std::vector<OrtValue*> initValues;  // override initializers, alive as long as the session

    std::vector<std::string> inNames, outNames;
    std::vector<const char*> inNamePtrs, outNamePtrs;
    std::vector<std::vector<std::int64_t>> inSpecShapes, outSpecShapes;  // resolved except kDynamicDim
    std::vector<std::vector<std::int64_t>> inShapes, outShapes;          // bound
    int stateIn = -1, stateOut = -1;
    std::vector<std::int64_t> stateShape;
    std::int64_t dynLen = 1;

    TensorPool pool;
    std::vector<std::size_t> inSlot, outSlot;
    std::size_t stateSlot[2] = {0, 0};
    std::vector<OrtValue*> values;            // every OrtValue over the pool (owned)
    std::vector<OrtValue*> inVals[2], outVals[2];
    OrtIoBinding* binding[2] = {nullptr, nullptr};
    int parity = 0;
    char error[512] = {0};

    ~Impl() { releaseAll(); }

    void releaseTensors() noexcept {
        const OrtApi* api = ortApi();
        for (OrtIoBinding*& b : binding) {
            if (b != nullptr) api->ReleaseIoBinding(b);
            b = nullptr;
        }
        for (OrtValue* v : values) api->ReleaseValue(v);
        values.clear();
        for (int p = 0; p < 2; ++p) {
            inVals[p].clear();
            outVals[p].clear();
        }
        pool.release();
    }

    void releaseAll() noexcept {
        releaseTensors();
        const OrtApi* api = ortApi();
        if (session != nullptr) api->ReleaseSession(session);
        session = nullptr;
        for (OrtValue* v : initValues) api->ReleaseValue(v);
        initValues.clear();
        loaded = false;
    }

    std::string createSession();
    std::string checkSpec(const std::vector<ModelTensor>& ins, const std::vector<ModelTensor>& outs);
    std::string buildTensors();
    std::string makeValue(float* data, const std::vector<std::int64_t>& shape, OrtValue*& out);
};

std::string OrtModel::Impl::makeValue(float* data, const std::vector<std::int64_t>& shape, OrtValue*& out) {
    std::string err;
    const OrtMemoryInfo* info = ortCpuMemoryInfo(err);
    if (info == nullptr) return err;
    out = nullptr;
    err = ortStatusMessage(ortApi()->CreateTensorWithDataAsOrtValue(
        info, data, elementCount(shape) * sizeof(float), shape.data(), shape.size(),
        ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &out));
    if (err.empty()) values.push_back(out);
    return err;
}

std::string OrtModel::Impl::createSession() {
    const OrtApi* api = ortApi();
    std::string err;
    OrtEnv* env = ortEnv(err);
    if (env == nullptr) return err;
    OrtSessionOptions* so = nullptr;
    err = ortStatusMessage(api->CreateSessionOptions(&so), "session options");
    if (!err.empty()) return err;
    OrtStatus* st = api->SetIntraOpNumThreads(so, std::max(1, options.intraOpThreads));
    if (st == nullptr) st = api->SetInterOpNumThreads(so, 1);
    if (st == nullptr) st = api->SetSessionExecutionMode(so, ORT_SEQUENTIAL);
    if (st == nullptr) st = api->SetSessionGraphOptimizationLevel(so, ORT_ENABLE_ALL);
    if (st == nullptr) st = api->AddSessionConfigEntry(so, "session.intra_op.allow_spinning", "0");
    if (st == nullptr) st = api->AddSessionConfigEntry(so, "session.inter_op.allow_spinning", "0");
    err = ortStatusMessage(st, "session options");
    for (std::size_t i = 0; err.empty() && i < options.initializers.size(); ++i) {
        InitializerOverride& init = options.initializers[i];
        if (init.values.size() != elementCount(init.shape)) {
            err = "initializer override '" + init.name + "': " + std::to_string(init.values.size()) +
                  " values for shape " + shapeText(init.shape);
            break;
        }
        OrtValue* v = nullptr;
        std::string cerr;
        const OrtMemoryInfo* info = ortCpuMemoryInfo(cerr);
        if (info == nullptr) {
            err = cerr;
            break;
        }
        err = ortStatusMessage(api->CreateTensorWithDataAsOrtValue(
                                   info, init.values.data(), init.values.size() * sizeof(float), init.shape.data(),
                                   init.shape.size(), ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, &v),
                               "initializer override");
        if (!err.empty()) break;
        initValues.push_back(v);
        err = ortStatusMessage(api->AddInitializer(so, init.name.c_str(), v), ("initializer '" + init.name + "'").c_str());
    }
    if (err.empty()) err = ortStatusMessage(api->CreateSession(env, path.c_str(), so, &session), "loading model");
    api->ReleaseSessionOptions(so);
    return err;
}

// Matches one side (inputs or outputs) of the model against the spec; appends problems; fills resolved shapes.
static void matchSide(const char* side, const std::vector<TensorSpec>& specs, const std::vector<ModelTensor>& model,
                      std::vector<std::vector<std::int64_t>>& resolved, std::vector<std::string>& problems) {
    resolved.assign(specs.size(), {});
    for (std::size_t s = 0; s < specs.size(); ++s) {
        const TensorSpec& ts = specs[s];
        auto it = std::find_if(model.begin(), model.end(), [&](const ModelTensor& m) { return m.name == ts.name; });
        if (it == model.end()) {
            problems.push_back(std::string("missing ") + side + " '" + ts.name + "' (expected shape " +
                               shapeText(ts.shape) + ")");
            continue;
        }
        if (!it->isTensor || it->type != ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT) {
            problems.push_back(std::string(side) + " '" + ts.name + "' is not a float32 tensor (element type " +
                               std::to_string(static_cast<int>(it->type)) + ")");
            continue;
        }
        if (it->dims.size() != ts.shape.size()) {
            problems.push_back(std::string(side) + " '" + ts.name + "' has shape " + shapeText(it->dims) +
                               ", expected " + shapeText(ts.shape));
            continue;
        }
        std::vector<std::int64_t> r(ts.shape.size());
        bool ok = true;
        for (std::size_t d = 0; d < ts.shape.size(); ++d) {
            const std::int64_t want = ts.shape[d], got = it->dims[d];
            if (want >= 0) {
                ok = ok && (got < 0 || got == want);
                r[d] = want;
            } else if (want == kDynamicDim) {
                ok = ok && got < 0;
                r[d] = kDynamicDim;
            } else {
                r[d] = got > 0 ? got : kAnyDim;  // dynamic where a static size is read: resolved by the caller
            }
        }
        if (!ok) {
            problems.push_back(std::string(side) + " '" + ts.name + "' has shape " + shapeText(it->dims) +
                               ", expected " + shapeText(ts.shape) + " (? = dynamic)");
            continue;
        }
        resolved[s] = r;
    }
    for (const ModelTensor& m : model) {
        auto it = std::find_if(specs.begin(), specs.end(), [&](const TensorSpec& t) { return t.name == m.name; });
        if (it == specs.end()) {
            problems.push_back(std::string("unexpected ") + side + " '" + m.name + "' " + shapeText(m.dims));
        }
    }
}

std::string OrtModel::Impl::checkSpec(const std::vector<ModelTensor>& ins, const std::vector<ModelTensor>& outs) {
    std::vector<std::string> problems;
    matchSide("input", spec.inputs, ins, inSpecShapes, problems);
    matchSide("output", spec.outputs, outs, outSpecShapes, problems);
    auto indexOf = [](const std::vector<TensorSpec>& v, const std::string& n) {
        for (std::size_t i = 0; i < v.size(); ++i)
            if (v[i].name == n) return static_cast<int>(i);
        return -1;
    };
    stateIn = spec.stateInput.empty() ? -1 : indexOf(spec.inputs, spec.stateInput);
    stateOut = spec.stateOutput.empty() ? -1 : indexOf(spec.outputs, spec.stateOutput);
    if ((stateIn < 0) != (stateOut < 0)) problems.push_back("spec names a state input without a state output");
    if (problems.empty() && stateIn >= 0) {
        stateShape = inSpecShapes[static_cast<std::size_t>(stateIn)];
        for (std::int64_t d : stateShape) {
            if (d <= 0) problems.push_back("state input '" + spec.stateInput + "' must have a static shape, model has " +
                                           shapeText(stateShape));
        }
        std::vector<std::int64_t>& so = outSpecShapes[static_cast<std::size_t>(stateOut)];
        for (std::size_t d = 0; d < so.size() && d < stateShape.size(); ++d)
            if (so[d] == kAnyDim) so[d] = stateShape[d];
        if (so != stateShape)
            problems.push_back("state output '" + spec.stateOutput + "' has shape " + shapeText(so) +
                               ", state input has " + shapeText(stateShape));
    }
    for (std::size_t i = 0; problems.empty() && i < outSpecShapes.size(); ++i)
        for (std::int64_t d : outSpecShapes[i])
            if (d == kAnyDim) problems.push_back("output '" + spec.outputs[i].name + "' has a dynamic size where a static one is needed");
    std::string msg;
    for (const std::string& p : problems) msg += (msg.empty() ? "" : "\n") + path + ": " + p;
    return msg;
}

std::string OrtModel::Impl::buildTensors() {
    releaseTensors();
    const std::size_t nIn = spec.inputs.size(), nOut = spec.outputs.size();
    auto bind = [&](const std::vector<std::int64_t>& s) {
        std::vector<std::int64_t> b = s;
        for (std::int64_t& d : b)
            if (d == kDynamicDim) d = dynLen;
        return b;
    };
    inShapes.clear();
    outShapes.clear();
    std::vector<std::size_t> counts;
    inSlot.assign(nIn, 0);
    outSlot.assign(nOut, 0);
    for (std::size_t i = 0; i < nIn; ++i) {
        inShapes.push_back(bind(inSpecShapes[i]));
        if (static_cast<int>(i) == stateIn) continue;
        inSlot[i] = counts.size();
        counts.push_back(elementCount(inShapes[i]));
    }
    for (std::size_t i = 0; i < nOut; ++i) {
        outShapes.push_back(bind(outSpecShapes[i]));
        if (static_cast<int>(i) == stateOut) continue;
        outSlot[i] = counts.size();
        counts.push_back(elementCount(outShapes[i]));
    }
    if (stateIn >= 0) {
        stateSlot[0] = counts.size();
        stateSlot[1] = counts.size() + 1;
        counts.push_back(elementCount(stateShape));
        counts.push_back(elementCount(stateShape));
    }
    try {
        pool.allocate(counts);
    } catch (const std::bad_alloc&) {
        return path + ": out of memory for " + std::to_string(counts.size()) + " tensors";
    }
    OrtValue* stateVal[2] = {nullptr, nullptr};
    std::string err;
    for (int p = 0; p < 2 && err.empty() && stateIn >= 0; ++p) err = makeValue(pool.data(stateSlot[p]), stateShape, stateVal[p]);
    std::vector<OrtValue*> inV(nIn, nullptr), outV(nOut, nullptr);
    for (std::size_t i = 0; i < nIn && err.empty(); ++i)
        if (static_cast<int>(i) != stateIn) err = makeValue(pool.data(inSlot[i]), inShapes[i], inV[i]);
    for (std::size_t i = 0; i < nOut && err.empty(); ++i)
        if (static_cast<int>(i) != stateOut) err = makeValue(pool.data(outSlot[i]), outShapes[i], outV[i]);
    if (!err.empty()) return path + ": " + err;
    const OrtApi* api = ortApi();
    for (int p = 0; p < 2; ++p) {
        inVals[p] = inV;
        outVals[p] = outV;
        if (stateIn >= 0) {
            inVals[p][static_cast<std::size_t>(stateIn)] = stateVal[p];
            outVals[p][static_cast<std::size_t>(stateOut)] = stateVal[1 - p];
        }
        if (!options.useIoBinding) continue;
        OrtStatus* st = api->CreateIoBinding(session, &binding[p]);
        for (std::size_t i = 0; st == nullptr && i < nIn; ++i) st = api->BindInput(binding[p], inNamePtrs[i], inVals[p][i]);
        for (std::size_t i = 0; st == nullptr && i < nOut; ++i) st = api->BindOutput(binding[p], outNamePtrs[i], outVals[p][i]);
        err = ortStatusMessage(st, "IO binding");
        if (!err.empty()) return path + ": " + err;
    }
    parity = 0;
    return {};
}

OrtModel::OrtModel() : impl_(std::make_unique<Impl>()) {}
OrtModel::~OrtModel() = default;
OrtModel::OrtModel(OrtModel&&) noexcept = default;
OrtModel& OrtModel::operator=(OrtModel&&) noexcept = default;

std::string OrtModel::load(const std::string& path, const ModelSpec& spec, OrtModelOptions options) {
    if (!impl_) impl_ = std::make_unique<Impl>();
    Impl& m = *impl_;
    m.releaseAll();
    if (ortApi() == nullptr) return path + ": ONNX Runtime library is older than this engine's API version";
    m.path = path;
    m.spec = spec;
    m.options = std::move(options);
    m.dynLen = spec.defaultDynamicLength;
    std::string err = m.createSession();
    if (!err.empty()) {
        m.releaseAll();
        return path + ": " + err;
    }
    std::vector<ModelTensor> ins, outs;
    err = readSessionTensors(m.session, true, ins);
    if (err.empty()) err = readSessionTensors(m.session, false, outs);
    if (err.empty()) err = m.checkSpec(ins, outs);
    if (!err.empty()) {
        m.releaseAll();
        return err.rfind(path, 0) == 0 ? err : path + ": " + err;
    }
    m.inNames.clear();
    m.outNames.clear();
    for (const TensorSpec& t : spec.inputs) m.inNames.push_back(t.name);
    for (const TensorSpec& t : spec.outputs) m.outNames.push_back(t.name);
    m.inNamePtrs.clear();
    m.outNamePtrs.clear();
    for (const std::string& n : m.inNames) m.inNamePtrs.push_back(n.c_str());
    for (const std::string& n : m.outNames) m.outNamePtrs.push_back(n.c_str());
    err = m.buildTensors();
    if (!err.empty()) {
        m.releaseAll();
        return err;
    }
    m.loaded = true;
    return {};
}

bool OrtModel::loaded() const noexcept { return impl_ && impl_->loaded; }
void OrtModel::unload() noexcept {
    if (impl_) impl_->releaseAll();
}
const std::string& OrtModel::path() const noexcept { return impl_->path; }
const ModelSpec& OrtModel::spec() const noexcept { return impl_->spec; }
bool OrtModel::usesIoBinding() const noexcept { return impl_->options.useIoBinding; }

std::string OrtModel::setDynamicLength(std::int64_t n) {
    if (!loaded()) return "setDynamicLength: model not loaded";
    if (n < 1) return impl_->path + ": dynamic length must be >= 1, got " + std::to_string(n);
    impl_->dynLen = n;
    std::string err = impl_->buildTensors();
    if (!err.empty()) impl_->releaseAll();
    return err;
}
std::int64_t OrtModel::dynamicLength() const noexcept { return impl_->dynLen; }

std::size_t OrtModel::inputCount() const noexcept { return impl_->inNames.size(); }
std::size_t OrtModel::outputCount() const noexcept { return impl_->outNames.size(); }
int OrtModel::inputIndex(const std::string& name) const noexcept {
    for (std::size_t i = 0; i < impl_->inNames.size(); ++i)
        if (impl_->inNames[i] == name) return static_cast<int>(i);
    return -1;
}
int OrtModel::outputIndex(const std::string& name) const noexcept {
    for (std::size_t i = 0; i < impl_->outNames.size(); ++i)
        if (impl_->outNames[i] == name) return static_cast<int>(i);
    return -1;
}
const std::string& OrtModel::inputName(std::size_t i) const noexcept { return impl_->inNames[i]; }
const std::string& OrtModel::outputName(std::size_t i) const noexcept { return impl_->outNames[i]; }
const std::vector<std::int64_t>& OrtModel::inputShape(std::size_t i) const noexcept { return impl_->inShapes[i]; }
const std::vector<std::int64_t>& OrtModel::outputShape(std::size_t i) const noexcept { return impl_->outShapes[i]; }
std::size_t OrtModel::inputSize(std::size_t i) const noexcept { return elementCount(impl_->inShapes[i]); }
std::size_t OrtModel::outputSize(std::size_t i) const noexcept { return elementCount(impl_->outShapes[i]); }

float* OrtModel::input(std::size_t i) noexcept {
    Impl& m = *impl_;
    if (static_cast<int>(i) == m.stateIn) return m.pool.data(m.stateSlot[m.parity]);
    return m.pool.data(m.inSlot[i]);
}
const float* OrtModel::output(std::size_t i) const noexcept {
    const Impl& m = *impl_;
    if (static_cast<int>(i) == m.stateOut) return m.pool.data(m.stateSlot[m.parity]);
    return m.pool.data(m.outSlot[i]);
}

bool OrtModel::hasState() const noexcept { return impl_->stateIn >= 0; }
const std::vector<std::int64_t>& OrtModel::stateShape() const noexcept { return impl_->stateShape; }
std::size_t OrtModel::stateSize() const noexcept { return hasState() ? elementCount(impl_->stateShape) : 0; }
float* OrtModel::state() noexcept { return hasState() ? impl_->pool.data(impl_->stateSlot[impl_->parity]) : nullptr; }
void OrtModel::resetState() noexcept {
    if (!loaded() || !hasState()) return;
    for (std::size_t s : impl_->stateSlot) std::memset(impl_->pool.data(s), 0, impl_->pool.size(s) * sizeof(float));
}

bool OrtModel::run() noexcept {
    if (!impl_) return false;  // moved from
    Impl& m = *impl_;
    if (!m.loaded) {
        std::strncpy(m.error, "model not loaded", sizeof(m.error) - 1);
        return false;
    }
    const OrtApi* api = ortApi();
    const int p = m.parity;
    OrtStatus* st = m.options.useIoBinding
                        ? api->RunWithBinding(m.session, nullptr, m.binding[p])
                        : api->Run(m.session, nullptr, m.inNamePtrs.data(), m.inVals[p].data(), m.inVals[p].size(),
                                   m.outNamePtrs.data(), m.outVals[p].size(), m.outVals[p].data());
    if (!ortStatusInto(st, m.error, sizeof(m.error))) return false;
    if (m.stateIn >= 0) m.parity = 1 - p;
    m.error[0] = '\0';
    return true;
}

const char* OrtModel::lastError() const noexcept { return impl_ ? impl_->error : "model moved from"; }

}  // namespace tmrvc
