// A scratch copy of a tiny valid model folder for the model-folder fuzz harnesses.
// The source folder comes from $TMRVC_FUZZ_MODELS (written by tests/fixtures/tiny_model_folder.py); the copy lives
// in a fresh temporary directory that is removed at exit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace tmrvc::fuzz {

// Copies $TMRVC_FUZZ_MODELS into a new temporary directory once per process and returns its path; aborts with a
// message when the variable is unset or the folder is missing (a harness without its folder fuzzes nothing).
const std::string& scratchModelFolder();

// Restores `name` (relative to the folder) in the scratch copy from the source folder.
void restoreFile(const std::string& name);

// Writes `size` bytes as `name` (relative to the folder) in the scratch copy.
void writeFile(const std::string& name, const std::uint8_t* data, std::size_t size);

}  // namespace tmrvc::fuzz
