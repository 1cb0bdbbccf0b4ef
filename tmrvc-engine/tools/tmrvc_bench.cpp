// tmrvc-bench: per-model, per-hop inference time of a model folder on 1 intra-op thread.
//   tmrvc-bench --models DIR [--int8] [--iterations N] [--io-binding] [--threads T] [--json FILE]
// Runs FP32 and, when the folder has int8/, INT8 (--int8: INT8 only). The acoustic estimator runs on chunks of
// ir_update_interval frames; its time is reported per call and amortised per hop. Total = the per-hop sum.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/ort_session_bundle.h"

namespace {

using nlohmann::json;

struct Stats {
    double median = 0, p99 = 0, max = 0, mean = 0;
};

Stats summarise(std::vector<double> ms) {
    std::sort(ms.begin(), ms.end());
    Stats s;
    const std::size_t n = ms.size();
    s.median = n % 2 ? ms[n / 2] : 0.5 * (ms[n / 2 - 1] + ms[n / 2]);
    s.p99 = ms[std::min(n - 1, static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(n))) - 1)];
    s.max = ms.back();
    for (double v : ms) s.mean += v / static_cast<double>(n);
    return s;
}

json toJson(const Stats& s) { return {{"median_ms", s.median}, {"p99_ms", s.p99}, {"max_ms", s.max}, {"mean_ms", s.mean}}; }

// Times `iterations` runs (after a warm-up) of a model with fixed pseudo-random inputs; false on an ORT error.
bool timeModel(tmrvc::OrtModel& m, int iterations, std::vector<double>& ms) {
    for (std::size_t i = 0; i < m.inputCount(); ++i) {
        if (m.inputName(i) == m.spec().stateInput) continue;
        for (std::size_t k = 0; k < m.inputSize(i); ++k) m.input(i)[k] = 0.1f * std::sin(0.7f * static_cast<float>(k));
    }
    for (int w = 0; w < 20; ++w)
        if (!m.run()) return false;
    ms.clear();
    for (int it = 0; it < iterations; ++it) {
        const auto t0 = std::chrono::steady_clock::now();
        if (!m.run()) return false;
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    return true;
}

int fail(const std::string& msg, int code = 1) {
    std::string line = msg;
    std::replace(line.begin(), line.end(), '\n', ';');
    std::fprintf(stderr, "tmrvc-bench: error: %s\n", line.c_str());
    return code;
}

// Benchmarks one precision; fills `out`. "" on success.
std::string benchPrecision(const std::string& dir, bool int8, int iterations, const tmrvc::BundleOptions& base, json& out) {
    tmrvc::OrtSessionBundle bundle;
    tmrvc::BundleOptions o = base;
    o.int8 = int8;
    o.loadConverterHq = true;
    std::string err = bundle.load(dir, o);
    if (!err.empty()) return err;
    const int interval = tmrvc::constants::kIrUpdateInterval;
    err = bundle.irEstimator().setDynamicLength(interval);
    if (!err.empty()) return err;
    struct Item {
        const char* name;
        tmrvc::OrtModel* model;
    };
    const Item items[] = {{"content_encoder", &bundle.contentEncoder()}, {"converter", &bundle.converter()},
                          {"vocoder", &bundle.vocoder()}, {"ir_estimator", &bundle.irEstimator()}};
    std::printf("%s (%s, %d intra-op thread%s, %s):\n", dir.c_str(), int8 ? "INT8" : "FP32", o.intraOpThreads,
                o.intraOpThreads == 1 ? "" : "s", o.useIoBinding ? "IO binding" : "Run");
    double totalMedian = 0.0, totalP99 = 0.0, hqExtraMedian = 0.0, hqExtraP99 = 0.0;
    for (const Item& it : items) {
        std::vector<double> ms;
        if (!timeModel(*it.model, iterations, ms)) return std::string(it.name) + ": " + it.model->lastError();
        const Stats s = summarise(ms);
        json entry = toJson(s);
        const bool amortised = std::string(it.name) == "ir_estimator";
        const double div = amortised ? interval : 1.0;
        if (amortised) {
            entry["frames_per_call"] = interval;
            entry["per_hop_median_ms"] = s.median / div;
            entry["per_hop_p99_ms"] = s.p99 / div;
        }
        totalMedian += s.median / div;
        totalP99 += s.p99 / div;
        out[it.name] = entry;
        std::printf("  %-16s median %8.4f ms  p99 %8.4f ms  max %8.4f ms%s\n", it.name, s.median, s.p99, s.max,
                    amortised ? "  (per call; per hop / interval)" : "");
        if (std::string(it.name) == "converter" && bundle.converterHq().loaded()) {
            // At q > 0 the HQ converter runs instead of the live one: its time and the total it gives.
            std::vector<double> hqMs;
            if (!timeModel(bundle.converterHq(), iterations, hqMs)) return std::string("converter_hq: ") + bundle.converterHq().lastError();
            const Stats h = summarise(hqMs);
            out["converter_hq"] = toJson(h);
            out["converter_hq"]["note"] = "FP32 (no INT8 copy); replaces the converter when q > 0";
            hqExtraMedian = h.median - s.median;
            hqExtraP99 = h.p99 - s.p99;
            std::printf("  %-16s median %8.4f ms  p99 %8.4f ms  max %8.4f ms  (replaces converter at q > 0)\n",
                        "converter_hq", h.median, h.p99, h.max);
        }
    }
    out["total_per_hop"] = {{"median_ms", totalMedian}, {"p99_ms", totalP99}};
    if (out.contains("converter_hq"))
        out["total_per_hop_hq"] = {{"median_ms", totalMedian + hqExtraMedian}, {"p99_ms", totalP99 + hqExtraP99}};
    out["hop_ms"] = 1000.0 * tmrvc::constants::kHopLength / tmrvc::constants::kSampleRate;
    std::printf("  %-16s median %8.4f ms  p99 %8.4f ms  (hop = %.1f ms)\n", "total per hop", totalMedian, totalP99,
                out["hop_ms"].get<double>());
    return {};
}

}  // namespace

int main(int argc, char** argv) {
    std::string dir, jsonPath;
    bool int8Only = false;
    int iterations = 1000;
    tmrvc::BundleOptions options;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool hasValue = i + 1 < argc;
        if (a == "--models" && hasValue) {
            dir = argv[++i];
        } else if (a == "--json" && hasValue) {
            jsonPath = argv[++i];
        } else if ((a == "--iterations" || a == "--threads") && hasValue) {
            char* end = nullptr;
            const long v = std::strtol(argv[++i], &end, 10);
            if (*end != '\0' || v < 1 || v > 10000000) return fail(a + " needs a positive integer", 2);
            (a == "--iterations" ? iterations : options.intraOpThreads) = static_cast<int>(v);
        } else if (a == "--int8") {
            int8Only = true;
        } else if (a == "--io-binding") {
            options.useIoBinding = true;
        } else {
            return fail("unexpected argument '" + a +
                            "' (usage: tmrvc-bench --models DIR [--int8] [--iterations N] [--io-binding] [--threads T] [--json FILE])",
                        2);
        }
    }
    if (dir.empty()) return fail("--models DIR is required", 2);
    const tmrvc::ModelFolderCheck check = tmrvc::checkModelFolder(dir);
    if (!check.ok()) return fail(check.message());
    if (int8Only && !check.info.hasInt8) return fail(dir + ": no int8/ models");
    json report = {{"models", dir}, {"iterations", iterations}, {"intra_op_threads", options.intraOpThreads},
                   {"io_binding", options.useIoBinding}};
    for (bool int8 : {false, true}) {
        if ((int8Only && !int8) || (int8 && !check.info.hasInt8)) continue;
        json part;
        const std::string err = benchPrecision(dir, int8, iterations, options, part);
        if (!err.empty()) return fail(err);
        report[int8 ? "int8" : "fp32"] = part;
    }
    if (!jsonPath.empty()) {
        std::ofstream f(jsonPath);
        f << report.dump(2) << "\n";
        if (!f) return fail("cannot write " + jsonPath);
    }
    return 0;
}
