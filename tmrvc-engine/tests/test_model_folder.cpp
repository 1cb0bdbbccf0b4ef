// Model folder validation and OrtSessionBundle loading on copies of the tiny fixture folder, broken on purpose.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <unistd.h>
#include <string>

#include "tmrvc/constants.h"
#include "tmrvc/model_folder.h"
#include "tmrvc/ort_session_bundle.h"

namespace tmrvc {
namespace {

namespace fs = std::filesystem;

class ModelFolderTest : public ::testing::Test {
protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        dir_ = fs::temp_directory_path() / (std::string("tmrvc_mf_") + info->name() + "_" + std::to_string(::getpid()));
        fs::remove_all(dir_);
        fs::copy(TMRVC_TINY_MODELS, dir_, fs::copy_options::recursive);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string dir() const { return dir_.string(); }
    void write(const std::string& file, const std::string& text) {
        std::ofstream(dir_ / file, std::ios::binary | std::ios::trunc) << text;
    }
    std::string read(const std::string& file) {
        std::ifstream f(dir_ / file, std::ios::binary);
        return {std::istreambuf_iterator<char>(f), {}};
    }
    nlohmann::json metadata() { return nlohmann::json::parse(read("metadata.json")); }
    void replaceInMetadata(const std::string& from, const std::string& to) {
        std::string meta = read("metadata.json");
        const auto pos = meta.find(from);
        ASSERT_NE(pos, std::string::npos) << from;
        write("metadata.json", meta.replace(pos, from.size(), to));
    }

    fs::path dir_;
};

TEST_F(ModelFolderTest, GoodFolderLoads) {
    const ModelFolderCheck check = checkModelFolder(dir(), true);
    ASSERT_TRUE(check.ok()) << check.message();
    const nlohmann::json meta = metadata();
    EXPECT_EQ(check.info.lora.rank, meta["lora"]["rank"].get<int>());
    EXPECT_EQ(check.info.lora.layers, meta["lora"]["layers"].get<std::vector<int>>());
    EXPECT_NE(check.info.lora.size(), static_cast<std::size_t>(constants::kLoraSize)) << "tiny models must differ from the defaults";
    EXPECT_EQ(check.info.modelId.size(), 64u);
    EXPECT_TRUE(check.info.hasInt8);
    OrtSessionBundle fp32, int8;
    ASSERT_EQ(fp32.load(dir()), "");
    BundleOptions o;
    o.int8 = true;
    o.loadSpeakerEncoder = true;
    ASSERT_EQ(int8.load(dir(), o), "");
    EXPECT_TRUE(int8.speakerEncoder().loaded());
    EXPECT_NE(int8.converter().path().find("int8"), std::string::npos);
    EXPECT_EQ(fp32.baseFilmWeights().size(), 2u);
    EXPECT_EQ(fp32.speakerExpectation().loraSize, fp32.info().lora.size());
}

TEST_F(ModelFolderTest, MissingDirectory) {
    OrtSessionBundle b;
    const std::string err = b.load(dir() + "/nope");
    EXPECT_NE(err.find("no such directory"), std::string::npos) << err;
    EXPECT_FALSE(b.loaded());
}

TEST_F(ModelFolderTest, EveryProblemInOneMessage) {
    fs::remove(dir_ / "vocoder.onnx");
    fs::remove(dir_ / "constants.yaml");
    write("content_encoder.onnx", "garbage, not a protobuf");
    OrtSessionBundle b;
    const std::string err = b.load(dir());
    EXPECT_NE(err.find("missing vocoder.onnx"), std::string::npos) << err;
    EXPECT_NE(err.find("missing constants.yaml"), std::string::npos) << err;
    EXPECT_NE(err.find("content_encoder.onnx"), std::string::npos) << err;
    EXPECT_FALSE(b.loaded());
}

TEST_F(ModelFolderTest, ConstantsHashMismatchNamesBothHashes) {
    replaceInMetadata(constants::kConstantsHash, "0123abcd");
    const ModelFolderCheck check = checkModelFolder(dir());
    ASSERT_FALSE(check.ok());
    EXPECT_NE(check.message().find("0123abcd"), std::string::npos) << check.message();
    EXPECT_NE(check.message().find(constants::kConstantsHash), std::string::npos) << check.message();
}

TEST_F(ModelFolderTest, ContractVersionMismatch) {
    replaceInMetadata("\"contract_version\": 1", "\"contract_version\": 99");
    const ModelFolderCheck check = checkModelFolder(dir());
    EXPECT_NE(check.message().find("contract version mismatch: model folder has 99"), std::string::npos)
        << check.message();
}

TEST_F(ModelFolderTest, GarbageAndTruncatedMetadata) {
    const std::string meta = read("metadata.json");
    for (const std::string& bad : {std::string("\x00\xff\x13garbage", 10), meta.substr(0, meta.size() / 2),
                                   std::string("[1, 2, 3]"), std::string("")}) {
        write("metadata.json", bad);
        const ModelFolderCheck check = checkModelFolder(dir());
        EXPECT_FALSE(check.ok());
        EXPECT_NE(check.message().find("metadata.json"), std::string::npos) << check.message();
    }
    write("metadata.json", R"({"constants_hash": 5, "contract_version": "x", "lora": {"rank": "big"}})");
    const ModelFolderCheck check = checkModelFolder(dir());
    EXPECT_GE(check.problems.size(), 3u) << check.message();
}

TEST_F(ModelFolderTest, TruncatedFilmWeights) {
    const std::string film = read("converter_film.bin");
    write("converter_film.bin", film.substr(0, film.size() - 8));
    const ModelFolderCheck check = checkModelFolder(dir());
    const std::string last = metadata()["film_weights"]["layers"].back()["name"].get<std::string>();
    EXPECT_NE(check.message().find("too short for FiLM weight '" + last + "'"), std::string::npos) << check.message();
}

TEST_F(ModelFolderTest, LoraSizeInconsistent) {
    nlohmann::json meta = metadata();
    meta["lora"]["size"] = meta["lora"]["size"].get<int>() + 1;
    write("metadata.json", meta.dump(2));
    const ModelFolderCheck check = checkModelFolder(dir());
    EXPECT_NE(check.message().find("lora.size"), std::string::npos) << check.message();
}

TEST_F(ModelFolderTest, TruncatedOnnxIsReportedWithItsName) {
    const std::string conv = read("converter.onnx");
    write("converter.onnx", conv.substr(0, conv.size() / 3));
    OrtSessionBundle b;
    const std::string err = b.load(dir());
    EXPECT_NE(err.find("converter.onnx"), std::string::npos) << err;
    EXPECT_FALSE(b.loaded());
}

TEST_F(ModelFolderTest, MissingInt8ModelsWhenRequested) {
    fs::remove_all(dir_ / "int8");
    BundleOptions o;
    o.int8 = true;
    OrtSessionBundle b;
    const std::string err = b.load(dir(), o);
    EXPECT_NE(err.find("missing int8/converter.onnx"), std::string::npos) << err;
}

TEST_F(ModelFolderTest, WrongModelInPlaceOfAnother) {
    fs::copy_file(dir_ / "vocoder.onnx", dir_ / "converter.onnx", fs::copy_options::overwrite_existing);
    OrtSessionBundle b;
    const std::string err = b.load(dir());
    EXPECT_NE(err.find("converter.onnx: missing input 'content'"), std::string::npos) << err;
}

TEST_F(ModelFolderTest, FilmOverrideThatCannotApplyIsRefused) {
    // Rename the initializer inside converter.onnx (same length, so the protobuf stays valid): the override by
    // the contract name would be silently ignored by ONNX Runtime; the bundle must notice and refuse.
    std::string conv = read("converter.onnx");
    const std::string name = metadata()["film_weights"]["layers"].back()["name"].get<std::string>();
    std::size_t pos = 0, renamed = 0;
    while ((pos = conv.find(name, pos)) != std::string::npos) {
        conv[pos + name.size() - 1] = 'X';
        ++renamed;
    }
    ASSERT_GT(renamed, 0u);
    write("converter.onnx", conv);
    OrtSessionBundle b;
    const std::string err = b.load(dir());
    EXPECT_NE(err.find("changes nothing"), std::string::npos) << err;
}

// --- speaker bank metadata (docs/speaker-bank.md) ---

nlohmann::json bankEntry(int frames = constants::kBankFrames, int keySize = constants::kDContent - 1) {
    return {{"frames", frames}, {"key_size", keySize}, {"value_size", 2 * 12}, {"k", constants::kBankK},
            {"knots_hz", std::vector<double>(12, 100.0)}};
}

TEST_F(ModelFolderTest, BankMetadataIsParsedOrAbsent) {
    nlohmann::json meta = metadata();
    const bool fixtureHasBank = meta["models"]["converter"].contains("bank");
    const ModelFolderCheck before = checkModelFolder(dir());
    ASSERT_TRUE(before.ok()) << before.message();
    EXPECT_EQ(before.info.bank.present, fixtureHasBank);
    meta["models"]["converter"].erase("bank");
    write("metadata.json", meta.dump(2));
    const ModelFolderCheck none = checkModelFolder(dir());
    ASSERT_TRUE(none.ok()) << none.message();
    EXPECT_FALSE(none.info.bank.present);
    OrtSessionBundle b;
    ASSERT_EQ(b.load(dir()), "");  // a bank in the graph, unused by the metadata, is simply not overridden
    EXPECT_EQ(b.speakerExpectation().bankValueSize, 0u);
    meta["models"]["converter"]["bank"] = bankEntry();
    write("metadata.json", meta.dump(2));
    const ModelFolderCheck with = checkModelFolder(dir());
    ASSERT_TRUE(with.ok()) << with.message();
    EXPECT_TRUE(with.info.bank.present);
    EXPECT_EQ(with.info.bank.frames, constants::kBankFrames);
    EXPECT_EQ(with.info.bank.keySize, constants::kDContent - 1);
    EXPECT_EQ(with.info.bank.valueSize, 24);
    EXPECT_EQ(with.info.bank.k, constants::kBankK);
    EXPECT_EQ(with.info.bank.knotsHz, std::vector<double>(12, 100.0));  // what a bank builder projects onto
}

TEST_F(ModelFolderTest, BankLayoutOtherThanTheEnginesIsRefused) {
    nlohmann::json meta = metadata();
    meta["models"]["converter"]["bank"] = bankEntry(constants::kBankFrames - 1, constants::kDContent);
    write("metadata.json", meta.dump(2));
    const ModelFolderCheck check = checkModelFolder(dir());
    EXPECT_NE(check.message().find("bank.frames is 2999, this engine was built for bank_frames = 3000"),
              std::string::npos) << check.message();
    EXPECT_NE(check.message().find("bank.key_size is 256, expected d_content - 1 = 255"), std::string::npos)
        << check.message();
    nlohmann::json badKnots = bankEntry();
    badKnots["knots_hz"] = {0.0, "1 kHz"};
    meta["models"]["converter"]["bank"] = badKnots;
    write("metadata.json", meta.dump(2));
    EXPECT_NE(checkModelFolder(dir()).message().find("knots_hz must be an array of finite numbers"),
              std::string::npos);
    meta["models"]["converter"]["bank"] = {{"frames", "many"}};
    write("metadata.json", meta.dump(2));
    EXPECT_NE(checkModelFolder(dir()).message().find("needs integers frames, key_size and value_size"),
              std::string::npos);
}

TEST_F(ModelFolderTest, BankInMetadataButNotInTheGraphIsRefused) {
    // A converter without bank.* initializers: ONNX Runtime would ignore the overrides; the bundle must notice.
    nlohmann::json meta = metadata();
    if (meta["models"]["converter"].contains("bank")) {
        std::string conv = read("converter.onnx");
        std::size_t pos = 0, renamed = 0;
        while ((pos = conv.find("bank.mix", pos)) != std::string::npos) {
            conv[pos + 7] = 'Q';
            ++renamed;
        }
        ASSERT_GT(renamed, 0u);
        write("converter.onnx", conv);
    } else {
        meta["models"]["converter"]["bank"] = bankEntry();
        write("metadata.json", meta.dump(2));
    }
    OrtSessionBundle b;
    const std::string err = b.load(dir());
    EXPECT_NE(err.find("overriding 'bank.mix' changes nothing"), std::string::npos) << err;
    EXPECT_FALSE(b.loaded());
}

// pred_features of one run on fixed positive inputs (voiced F0 channel).
std::vector<float> runOnce(OrtModel& m) {
    m.resetState();
    for (std::size_t i = 0; i < m.inputCount(); ++i) {
        if (m.inputName(i) == "state_in") continue;
        for (std::size_t k = 0; k < m.inputSize(i); ++k) m.input(i)[k] = 0.2f + 0.1f * static_cast<float>(k % 7);
    }
    EXPECT_TRUE(m.run()) << m.lastError();
    const auto out = static_cast<std::size_t>(m.outputIndex("pred_features"));
    return {m.output(out), m.output(out) + m.outputSize(out)};
}

SpeakerProfile speakerWithBank(const OrtSessionBundle& b) {
    SpeakerProfile s;
    s.name = "banked";
    s.loraDelta.assign(b.info().lora.size(), 0.0f);
    s.bankFrames = static_cast<std::size_t>(constants::kBankMinFrames);
    s.bankKeySize = kBankKeySize;
    s.bankValueSize = static_cast<std::size_t>(b.info().bank.valueSize);
    s.bankKeys.assign(s.bankFrames * s.bankKeySize, 0.0f);
    for (std::size_t j = 0; j < s.bankFrames; ++j) s.bankKeys[j * s.bankKeySize + j % s.bankKeySize] = 1.0f;
    s.bankValues.assign(s.bankFrames * s.bankValueSize, -2.0f);
    return s;
}

TEST_F(ModelFolderTest, SpeakerConverterCarriesTheBank) {
    OrtSessionBundle b;
    BundleOptions o;
    o.loadConverterHq = true;
    ASSERT_EQ(b.load(dir(), o), "");
    ASSERT_TRUE(b.hasBank()) << "the tiny fixture folder is exported with a bank";
    EXPECT_EQ(b.speakerExpectation().bankValueSize, static_cast<std::size_t>(b.info().bank.valueSize));
    SpeakerProfile banked = speakerWithBank(b), plain = banked;
    plain.bankFrames = 0;
    plain.bankKeys.clear();
    plain.bankValues.clear();
    EXPECT_TRUE(b.appliesBank(banked));
    EXPECT_FALSE(b.appliesBank(plain));
    EXPECT_EQ(b.bankWarning(banked), "");
    for (ModelRole role : {ModelRole::Converter, ModelRole::ConverterHq}) {
        OrtModel withBank, without;
        ASSERT_EQ(b.buildSpeakerConverter(banked, withBank, role), "");
        ASSERT_EQ(b.buildSpeakerConverter(plain, without, role), "");
        const std::vector<float> y1 = runOnce(withBank), y0 = runOnce(without);
        const std::vector<float> base = runOnce(role == ModelRole::Converter ? b.converter() : b.converterHq());
        EXPECT_EQ(y0, base) << "a speaker without a bank (and a zero LoRA) must give the exported converter's output";
        float moved = 0.0f;
        for (std::size_t k = 0; k < y1.size(); ++k) moved = std::max(moved, std::fabs(y1[k] - y0[k]));
        EXPECT_GT(moved, 0.1f) << modelRoleName(role);
    }
}

TEST_F(ModelFolderTest, BankSpeakerOnModelsWithoutABankIsWarnedAbout) {
    nlohmann::json meta = metadata();
    for (const char* role : {"converter", "converter_hq"})
        if (meta["models"].contains(role)) meta["models"][role].erase("bank");
    write("metadata.json", meta.dump(2));
    OrtSessionBundle b;
    ASSERT_EQ(b.load(dir()), "");
    ASSERT_FALSE(b.hasBank());
    SpeakerProfile s;
    s.name = "banked";
    s.loraDelta.assign(b.info().lora.size(), 0.0f);
    s.bankFrames = static_cast<std::size_t>(constants::kBankMinFrames);
    s.bankKeySize = kBankKeySize;
    s.bankValueSize = 4;
    s.bankKeys.assign(s.bankFrames * s.bankKeySize, 0.0f);
    s.bankValues.assign(s.bankFrames * 4, 0.0f);
    EXPECT_FALSE(b.appliesBank(s));
    EXPECT_NE(b.bankWarning(s).find("speaker 'banked' has a speaker bank (200 frames), but these models have none: "
                                    "the bank is ignored"),
              std::string::npos);
    OrtModel conv;
    EXPECT_EQ(b.buildSpeakerConverter(s, conv), "");
    EXPECT_EQ(runOnce(conv), runOnce(b.converter()));
}

}  // namespace
}  // namespace tmrvc
