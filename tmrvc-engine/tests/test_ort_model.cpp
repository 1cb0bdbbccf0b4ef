// OrtModel on the tiny fixture folder (tests/fixtures/tiny_model_folder.py, made by the ctest fixture).
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tmrvc/constants.h"
#include "tmrvc/model_folder.h"
#include "tmrvc/ort_model.h"
#include "tmrvc/tensor_pool.h"

namespace tmrvc {
namespace {

const std::string kDir = TMRVC_TINY_MODELS;

std::string path(const char* file) { return kDir + "/" + file; }

void fillInputs(OrtModel& m, int frame) {
    for (std::size_t i = 0; i < m.inputCount(); ++i) {
        if (m.inputName(i) == "state_in") continue;
        float* x = m.input(i);
        for (std::size_t k = 0; k < m.inputSize(i); ++k)
            x[k] = std::sin(0.37f * static_cast<float>(k) + 0.91f * static_cast<float>(frame));
    }
}

std::vector<float> outputCopy(const OrtModel& m, const std::string& name) {
    const auto i = static_cast<std::size_t>(m.outputIndex(name));
    return std::vector<float>(m.output(i), m.output(i) + m.outputSize(i));
}

TEST(TensorPool, SlotsAreAlignedZeroedAndDisjoint) {
    TensorPool pool;
    pool.allocate({3, 17, 1, 64});
    ASSERT_EQ(pool.slotCount(), 4u);
    for (std::size_t s = 0; s < 4; ++s) {
        EXPECT_EQ(reinterpret_cast<std::uintptr_t>(pool.data(s)) % TensorPool::kAlignment, 0u);
        for (std::size_t k = 0; k < pool.size(s); ++k) EXPECT_EQ(pool.data(s)[k], 0.0f);
        if (s > 0) {
            EXPECT_GE(pool.data(s), pool.data(s - 1) + pool.size(s - 1));
        }
    }
}

TEST(OrtModel, ReadsStateShapeFromTheModel) {
    OrtModel m;
    ASSERT_EQ(m.load(path("content_encoder.onnx"), contractSpec(ModelRole::ContentEncoder, 0)), "");
    ASSERT_TRUE(m.hasState());
    std::ifstream f(path("metadata.json"));
    const auto meta = nlohmann::json::parse(f);
    EXPECT_EQ(m.stateShape(), meta["models"]["content_encoder"]["state_shape"].get<std::vector<std::int64_t>>());
    EXPECT_NE(m.stateShape()[1], constants::kContentEncoderChannels) << "tiny models must differ from the defaults";
    EXPECT_EQ(m.inputSize(static_cast<std::size_t>(m.inputIndex("mel_frame"))), 80u);
    EXPECT_EQ(m.outputSize(static_cast<std::size_t>(m.outputIndex("content"))), 256u);
}

TEST(OrtModel, ReportsEveryDifferenceFromTheSpec) {
    ModelSpec spec = contractSpec(ModelRole::ContentEncoder, 0);
    spec.inputs[0].shape = {1, 81, 1};            // wrong size
    spec.inputs[1].name = "pitch";                // missing name (model has f0)
    spec.outputs.push_back({"extra", {1, 2}});   // missing output
    OrtModel m;
    const std::string err = m.load(path("content_encoder.onnx"), spec);
    EXPECT_NE(err.find("input 'mel_frame' has shape [1,80,1], expected [1,81,1]"), std::string::npos) << err;
    EXPECT_NE(err.find("missing input 'pitch'"), std::string::npos) << err;
    EXPECT_NE(err.find("unexpected input 'f0'"), std::string::npos) << err;
    EXPECT_NE(err.find("missing output 'extra'"), std::string::npos) << err;
    EXPECT_FALSE(m.loaded());
}

TEST(OrtModel, GarbageFileIsAnErrorNotACrash) {
    OrtModel m;
    EXPECT_NE(m.load(path("metadata.json"), contractSpec(ModelRole::Vocoder, 0)), "");
    EXPECT_NE(m.load(kDir + "/no_such_file.onnx", contractSpec(ModelRole::Vocoder, 0)), "");
    EXPECT_FALSE(m.loaded());
    EXPECT_FALSE(m.run());
}

TEST(OrtModel, PingPongStatesNeverAliasAndCarryContext) {
    OrtModel m;
    ASSERT_EQ(m.load(path("vocoder.onnx"), contractSpec(ModelRole::Vocoder, 0)), "");
    const auto stIn = static_cast<std::size_t>(m.inputIndex("state_in"));
    const auto stOut = static_cast<std::size_t>(m.outputIndex("state_out"));
    const float* before = m.input(stIn);
    fillInputs(m, 0);
    ASSERT_TRUE(m.run()) << m.lastError();
    EXPECT_NE(m.input(stIn), before);                 // swapped
    EXPECT_EQ(m.output(stOut), m.input(stIn));        // the state just produced is what the next run reads
    EXPECT_EQ(m.state(), m.input(stIn));
    bool nonZero = false;
    for (std::size_t k = 0; k < m.stateSize(); ++k) nonZero = nonZero || m.state()[k] != 0.0f;
    EXPECT_TRUE(nonZero);
    // Same input, different state → different output (the state is really read). The phase: a fresh vocoder's
    // magnitude is the input's own (residual head initialised to zero), so only the phase sees the context.
    const std::vector<float> first = outputCopy(m, "stft_phase");
    fillInputs(m, 0);
    ASSERT_TRUE(m.run());
    EXPECT_NE(outputCopy(m, "stft_phase"), first);
    // After a reset the first frame repeats exactly.
    m.resetState();
    fillInputs(m, 0);
    ASSERT_TRUE(m.run());
    EXPECT_EQ(outputCopy(m, "stft_phase"), first);
}

TEST(OrtModel, IoBindingAndPlainRunAgree) {
    OrtModelOptions withBinding;
    withBinding.useIoBinding = true;
    OrtModel a, b;
    ASSERT_EQ(a.load(path("converter.onnx"), contractSpec(ModelRole::Converter, 0)), "");
    ASSERT_EQ(b.load(path("converter.onnx"), contractSpec(ModelRole::Converter, 0), withBinding), "");
    for (int frame = 0; frame < 25; ++frame) {
        fillInputs(a, frame);
        fillInputs(b, frame);
        ASSERT_TRUE(a.run()) << a.lastError();
        ASSERT_TRUE(b.run()) << b.lastError();
        ASSERT_EQ(outputCopy(a, "pred_features"), outputCopy(b, "pred_features")) << "frame " << frame;
    }
}

TEST(OrtModel, DynamicLengthIsBoundOffTheAudioThread) {
    OrtModel m;
    ASSERT_EQ(m.load(path("ir_estimator.onnx"), contractSpec(ModelRole::IrEstimator, 0)), "");
    const auto chunk = static_cast<std::size_t>(m.inputIndex("mel_chunk"));
    EXPECT_EQ(m.inputShape(chunk)[2], constants::kIrUpdateInterval);
    ASSERT_EQ(m.setDynamicLength(constants::kIrMinInterval), "");
    EXPECT_EQ(m.inputSize(chunk), static_cast<std::size_t>(80 * constants::kIrMinInterval));
    fillInputs(m, 1);
    ASSERT_TRUE(m.run()) << m.lastError();
    const float* p = m.output(static_cast<std::size_t>(m.outputIndex("acoustic_params")));
    // Range activations: every parameter inside the contract's widest range (DRR, [-10, 30] dB).
    for (int k = 0; k < constants::kNAcousticParams; ++k) EXPECT_TRUE(p[k] >= -10.0f && p[k] <= 30.0f) << k << ": " << p[k];
    EXPECT_NE(m.setDynamicLength(0), "");
}

TEST(OrtModel, SpeakerEncoderIsStateless) {
    OrtModel m;
    ASSERT_EQ(m.load(path("speaker_encoder.onnx"), contractSpec(ModelRole::SpeakerEncoder, 0)), "");
    EXPECT_FALSE(m.hasState());
    ASSERT_EQ(m.setDynamicLength(123), "");
    fillInputs(m, 2);
    ASSERT_TRUE(m.run());
    const std::vector<float> e = outputCopy(m, "spk_embed");
    double norm = 0.0;
    for (float v : e) norm += static_cast<double>(v) * v;
    EXPECT_NEAR(norm, 1.0, 1e-5);
}

std::vector<float> readF32(const std::string& file) {
    std::ifstream f(file, std::ios::binary | std::ios::ate);
    EXPECT_TRUE(f.good()) << file;
    const auto bytes = static_cast<std::size_t>(f.tellg());
    std::vector<float> v(bytes / sizeof(float));
    f.seekg(0);
    f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(bytes));
    return v;
}

// Golden inputs/outputs written by ONNX Runtime in Python (the fixture script), state carried frame to frame;
// the C++ side carries its own ping-pong state. Contract bound: max abs <= 1e-5.
TEST(OrtModel, MatchesOnnxRuntimePythonGoldenStream) {
    std::ifstream mf(kDir + "/golden/manifest.json");
    ASSERT_TRUE(mf.good());
    const nlohmann::json manifest = nlohmann::json::parse(mf);
    for (bool binding : {false, true}) {
        for (const auto& [name, entry] : manifest.items()) {
            OrtModel m;
            OrtModelOptions o;
            o.useIoBinding = binding;
            const ModelRole role = name == "content_encoder" ? ModelRole::ContentEncoder
                                   : name == "ir_estimator" ? ModelRole::IrEstimator
                                   : name == "converter"    ? ModelRole::Converter
                                                            : ModelRole::Vocoder;
            ASSERT_EQ(m.load(path((name + ".onnx").c_str()), contractSpec(role, 0), o), "");
            const int frames = entry["frames"].get<int>();
            float worst = 0.0f;
            for (int f = 0; f < frames; ++f) {
                for (const auto& in : entry["inputs"]) {
                    const std::vector<float> all = readF32(kDir + "/golden/" + name + "." + in.get<std::string>() + ".f32");
                    const auto i = static_cast<std::size_t>(m.inputIndex(in.get<std::string>()));
                    const std::size_t n = m.inputSize(i);
                    ASSERT_EQ(all.size(), n * static_cast<std::size_t>(frames)) << name << " " << in;
                    std::copy(all.begin() + static_cast<std::ptrdiff_t>(n * f), all.begin() + static_cast<std::ptrdiff_t>(n * (f + 1)), m.input(i));
                }
                ASSERT_TRUE(m.run()) << m.lastError();
                for (const auto& out : entry["outputs"]) {
                    const std::vector<float> all = readF32(kDir + "/golden/" + name + "." + out.get<std::string>() + ".f32");
                    const auto i = static_cast<std::size_t>(m.outputIndex(out.get<std::string>()));
                    const std::size_t n = m.outputSize(i);
                    ASSERT_EQ(all.size(), n * static_cast<std::size_t>(frames)) << name << " " << out;
                    for (std::size_t k = 0; k < n; ++k) worst = std::max(worst, std::fabs(m.output(i)[k] - all[n * static_cast<std::size_t>(f) + k]));
                }
            }
            EXPECT_LE(worst, 1e-5f) << name << (binding ? " (IO binding)" : " (Run)");
        }
    }
}

}  // namespace
}  // namespace tmrvc
