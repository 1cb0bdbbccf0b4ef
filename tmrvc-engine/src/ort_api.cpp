#include "tmrvc/ort_api.h"

#include <cstring>
#include <mutex>

namespace tmrvc {

const OrtApi* ortApi() noexcept {
    static const OrtApi* api = OrtGetApiBase()->GetApi(ORT_API_VERSION);
    return api;
}

std::string ortStatusMessage(OrtStatus* status, const char* context) {
    if (status == nullptr) return {};
    const OrtApi* api = ortApi();
    std::string msg = std::string(context) + ": ONNX Runtime error " +
                      std::to_string(static_cast<int>(api->GetErrorCode(status))) + ": " +
                      api->GetErrorMessage(status);
    api->ReleaseStatus(status);
    return msg;
}

bool ortStatusInto(OrtStatus* status, char* buffer, std::size_t capacity) noexcept {
    if (status == nullptr) return true;
    const OrtApi* api = ortApi();
    if (capacity > 0) {
        const char* msg = api->GetErrorMessage(status);
        std::size_t n = std::strlen(msg);
        if (n >= capacity) n = capacity - 1;
        std::memcpy(buffer, msg, n);
        buffer[n] = '\0';
    }
    api->ReleaseStatus(status);
    return false;
}

namespace {

struct OrtGlobals {
    OrtEnv* env = nullptr;
    OrtMemoryInfo* cpuInfo = nullptr;
    std::string error;

    OrtGlobals() {
        const OrtApi* api = ortApi();
        if (api == nullptr) {
            error = "ONNX Runtime library is older than the API version " + std::to_string(ORT_API_VERSION) +
                    " this engine was compiled for";
            return;
        }
        error = ortStatusMessage(api->CreateEnv(ORT_LOGGING_LEVEL_WARNING, "tmrvc", &env), "creating OrtEnv");
        if (!error.empty()) return;
        error = ortStatusMessage(api->CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &cpuInfo),
                                 "creating CPU memory info");
    }
    // Released at process exit after every session (sessions are owned by objects destroyed earlier).
    ~OrtGlobals() {
        const OrtApi* api = ortApi();
        if (api == nullptr) return;
        if (cpuInfo != nullptr) api->ReleaseMemoryInfo(cpuInfo);
        if (env != nullptr) api->ReleaseEnv(env);
    }
};

OrtGlobals& globals() {
    static OrtGlobals g;
    return g;
}

}  // namespace

OrtEnv* ortEnv(std::string& error) {
    OrtGlobals& g = globals();
    if (g.env == nullptr) error = g.error;
    return g.env;
}

const OrtMemoryInfo* ortCpuMemoryInfo(std::string& error) {
    OrtGlobals& g = globals();
    if (g.cpuInfo == nullptr) error = g.error;
    return g.cpuInfo;
}

}  // namespace tmrvc
