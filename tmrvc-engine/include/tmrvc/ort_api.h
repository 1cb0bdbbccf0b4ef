// The ONNX Runtime C API, reached through one place: the API table, the process-wide OrtEnv, the CPU memory
// info, and the one helper that turns every OrtStatus* into a message (never throws, never exits).
#pragma once

#include <onnxruntime_c_api.h>

#include <string>

namespace tmrvc {

// The API table for the header's ORT_API_VERSION; nullptr when the loaded library is older than the header.
const OrtApi* ortApi() noexcept;

// "" when status is nullptr; otherwise "<context>: ONNX Runtime error <code>: <message>". Releases status.
std::string ortStatusMessage(OrtStatus* status, const char* context = "ONNX Runtime");

// Writes at most capacity-1 bytes of the status message into buffer (always terminated) and releases status.
// Returns true when status was nullptr (no error). Allocation-free on the success path.
bool ortStatusInto(OrtStatus* status, char* buffer, std::size_t capacity) noexcept;

// Process-wide environment (created on first use, warning-level logging). Sets error and returns nullptr on failure.
OrtEnv* ortEnv(std::string& error);

// CPU memory info for tensors over caller-owned memory (created on first use; nullptr if ORT is unusable).
const OrtMemoryInfo* ortCpuMemoryInfo(std::string& error);

}  // namespace tmrvc
