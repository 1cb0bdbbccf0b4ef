// OrtModel: one ONNX Runtime session (C API) with preallocated tensors, checked against the contract at load.
//
// Load (off the audio thread) creates the session (intra-op threads 1 by default, sequential execution, full
// graph optimisation, no spinning), checks input/output names, element types and static shapes against a
// ModelSpec and reports every difference, then places all tensors in one TensorPool and creates their OrtValues
// once. The state shape [1, C, S] is read from the model's state input. Two state buffers are kept and swapped
// after every run (ping-pong), so state_in and state_out never alias.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tmrvc {

// Dimension markers in a TensorSpec shape.
inline constexpr std::int64_t kDynamicDim = -1;  // must be dynamic in the model; bound by setDynamicLength()
inline constexpr std::int64_t kAnyDim = -2;      // any static size, read from the model (state channels/frames)

struct TensorSpec {
    std::string name;
    std::vector<std::int64_t> shape;
};

struct ModelSpec {
    std::string model;  // role name used in messages, e.g. "content_encoder"
    std::vector<TensorSpec> inputs;
    std::vector<TensorSpec> outputs;
    std::string stateInput;   // "" for stateless models
    std::string stateOutput;  // "" for stateless models
    std::int64_t defaultDynamicLength = 1;  // binding of kDynamicDim until setDynamicLength()
};

// A named initializer replaced at session creation (SessionOptions AddInitializer); OrtModel keeps the values
// alive as long as the session.
struct InitializerOverride {
    std::string name;
    std::vector<std::int64_t> shape;
    std::vector<float> values;
};

struct OrtModelOptions {
    int intraOpThreads = 1;
    bool useIoBinding = false;  // RunWithBinding on two bindings instead of Run on preallocated OrtValues
    std::vector<InitializerOverride> initializers;
};

class OrtModel {
public:
    OrtModel();
    ~OrtModel();
    OrtModel(OrtModel&&) noexcept;
    OrtModel& operator=(OrtModel&&) noexcept;
    OrtModel(const OrtModel&) = delete;
    OrtModel& operator=(const OrtModel&) = delete;

    // Creates the session and tensors. "" on success; otherwise every problem found, one per line, each
    // prefixed with the file name. On failure the object is left unloaded.
    std::string load(const std::string& path, const ModelSpec& spec, OrtModelOptions options = {});
    bool loaded() const noexcept;
    void unload() noexcept;
    const std::string& path() const noexcept;
    const ModelSpec& spec() const noexcept;  // as given to load()
    bool usesIoBinding() const noexcept;

    // Rebinds every kDynamicDim to n (reallocates the tensors; resets the state). Never on the audio thread.
    std::string setDynamicLength(std::int64_t n);
    std::int64_t dynamicLength() const noexcept;

    std::size_t inputCount() const noexcept;
    std::size_t outputCount() const noexcept;
    int inputIndex(const std::string& name) const noexcept;   // -1 if absent
    int outputIndex(const std::string& name) const noexcept;  // -1 if absent
    const std::string& inputName(std::size_t i) const noexcept;
    const std::string& outputName(std::size_t i) const noexcept;
    const std::vector<std::int64_t>& inputShape(std::size_t i) const noexcept;   // bound shape
    const std::vector<std::int64_t>& outputShape(std::size_t i) const noexcept;  // bound shape
    std::size_t inputSize(std::size_t i) const noexcept;   // elements
    std::size_t outputSize(std::size_t i) const noexcept;  // elements

    // Input i's buffer (write before run()). For the state input this is the state the next run reads.
    float* input(std::size_t i) noexcept;
    // Output i of the last run. For the state output this is the state the next run reads (after the swap).
    const float* output(std::size_t i) const noexcept;

    bool hasState() const noexcept;
    const std::vector<std::int64_t>& stateShape() const noexcept;  // [1, C, S] as read from the model
    std::size_t stateSize() const noexcept;
    float* state() noexcept;  // the state the next run reads (writable, e.g. for parity tests)
    void resetState() noexcept;

    // One inference on the bound tensors, then the state buffers swap. Returns false on an ORT error (message
    // in lastError()); never throws. ORT allocates inside Run: call from the inference thread, not the audio thread.
    bool run() noexcept;
    const char* lastError() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace tmrvc
