#include "scratch_model_folder.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

namespace tmrvc::fuzz {

namespace fs = std::filesystem;

namespace {

struct Scratch {
    fs::path source;
    fs::path dir;
    std::map<std::string, std::vector<char>> originals;  // every file of the source folder, read once

    Scratch() {
        const char* env = std::getenv("TMRVC_FUZZ_MODELS");
        if (env == nullptr || !fs::is_directory(env)) {
            std::fprintf(stderr, "TMRVC_FUZZ_MODELS must name a tiny model folder (tests/fixtures/tiny_model_folder.py), "
                                 "got '%s'\n", env == nullptr ? "(unset)" : env);
            std::abort();
        }
        source = env;
        std::string templ = (fs::temp_directory_path() / "tmrvc_fuzz_XXXXXX").string();
        if (mkdtemp(templ.data()) == nullptr) {
            std::perror("mkdtemp");
            std::abort();
        }
        dir = templ;
        fs::copy(source, dir, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
        for (const auto& entry : fs::recursive_directory_iterator(source)) {
            if (!entry.is_regular_file()) continue;
            std::ifstream f(entry.path(), std::ios::binary);
            originals[fs::relative(entry.path(), source).string()] =
                std::vector<char>(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
        }
    }
    ~Scratch() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
};

Scratch& scratch() {
    static Scratch s;
    return s;
}

void writeBytes(const fs::path& path, const char* data, std::size_t size) {
    std::ofstream f(path, std::ios::binary | std::ios::trunc);
    f.write(data, static_cast<std::streamsize>(size));
    if (!f) {
        std::fprintf(stderr, "cannot write %s\n", path.c_str());
        std::abort();
    }
}

}  // namespace

const std::string& scratchModelFolder() {
    static const std::string path = scratch().dir.string();
    return path;
}

void restoreFile(const std::string& name) {
    Scratch& s = scratch();
    auto it = s.originals.find(name);
    if (it == s.originals.end()) {
        std::fprintf(stderr, "%s is not in the source model folder\n", name.c_str());
        std::abort();
    }
    writeBytes(s.dir / name, it->second.data(), it->second.size());
}

void writeFile(const std::string& name, const std::uint8_t* data, std::size_t size) {
    writeBytes(scratch().dir / name, reinterpret_cast<const char*>(data), size);
}

}  // namespace tmrvc::fuzz
