// libFuzzer harness: the model-folder validator (checkModelFolder) with the fuzz input as metadata.json inside a
// scratch copy of a tiny valid model folder; when the folder is accepted, the FiLM weights it names are read too.
// Nothing may crash or leak, a rejection must list its problems, and an accepted description must be consistent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "scratch_model_folder.h"
#include "tmrvc/model_folder.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    tmrvc::fuzz::scratchModelFolder();  // copy the folder before the first input
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string& dir = tmrvc::fuzz::scratchModelFolder();
    tmrvc::fuzz::writeFile("metadata.json", data, size);
    const tmrvc::ModelFolderCheck check = tmrvc::checkModelFolder(dir);
    if (!check.ok()) {
        if (check.message().empty()) std::abort();  // a rejection must say why
        return 0;
    }
    const tmrvc::ModelFolderInfo& info = check.info;
    if (info.lora.validate() != "" || info.filmLayers.size() != info.lora.layers.size()) std::abort();
    std::vector<tmrvc::FilmWeight> film;
    if (tmrvc::readFilmWeights(info, film).empty()) {
        const std::size_t count = static_cast<std::size_t>(info.lora.dOut) * static_cast<std::size_t>(info.lora.dIn);
        if (film.size() != info.filmLayers.size()) std::abort();
        for (const tmrvc::FilmWeight& w : film)
            if (w.values.size() != count) std::abort();
    }
    return 0;
}
