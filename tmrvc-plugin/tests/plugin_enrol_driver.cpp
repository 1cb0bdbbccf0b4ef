// plugin-enrol-driver MODELS SPEAKER_DIR NAME AUDIO...: drives the plugin's own enrol action
// (TmrvcAudioProcessor::startEnrolment, what the editor's panel calls) in a real processor while its
// processBlock keeps running on this thread, waits until the new speaker is active, and prints
//   speaker=<path> name=<engine speaker name> seconds=<enrolment wall time> blocks=<processBlock calls>
// Exit 1 with the reason on failure. Used by tests/python/test_plugin_enrolment.py and as a benchmark.
#include "../src/PluginProcessor.h"

#include <chrono>
#include <cstdio>
#include <thread>

int main(int argc, char** argv) {
    if (argc < 5) {
        std::fprintf(stderr, "usage: plugin-enrol-driver MODELS SPEAKER_DIR NAME AUDIO...\n");
        return 2;
    }
    juce::ScopedJuceInitialiser_GUI juce;
    tmrvc::plugin::TmrvcAudioProcessor processor;
    processor.chooseModelFolder(argv[1]);
    processor.setSpeakerDir(argv[2]);
    constexpr double kRate = 48000.0;
    constexpr int kBlock = 256;
    processor.setPlayConfigDetails(2, 2, kRate, kBlock);
    processor.prepareToPlay(kRate, kBlock);
    juce::AudioBuffer<float> buffer(2, kBlock);
    juce::MidiBuffer midi;
    long blocks = 0;
    auto play = [&] {
        for (int c = 0; c < 2; ++c)
            for (int i = 0; i < kBlock; ++i)
                buffer.setSample(c, i, 0.2f * std::sin(static_cast<float>(blocks * kBlock + i) * 0.03f));
        processor.processBlock(buffer, midi);
        ++blocks;
        std::this_thread::sleep_for(std::chrono::microseconds(kBlock * 1000000 / 48000 / 4));
    };
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    while (processor.displayInfo().loading || !processor.displayInfo().status.isNotEmpty()) {
        play();
        if (std::chrono::steady_clock::now() > deadline) break;
    }
    juce::StringArray files;
    for (int i = 4; i < argc; ++i) files.add(argv[i]);
    if (const auto why = processor.startEnrolment(files, argv[3]); why.isNotEmpty()) {
        std::fprintf(stderr, "enrolment did not start: %s\n", why.toRawUTF8());
        return 1;
    }
    const auto& job = processor.enrolment();
    while (job.running() && std::chrono::steady_clock::now() < deadline) play();
    if (job.state() != tmrvc::EnrolmentJob::State::Done) {
        std::fprintf(stderr, "enrolment failed: %s\n", job.message().toRawUTF8());
        return 1;
    }
    const auto expected = tmrvc::plugin::sanitiseSpeakerName(argv[3]);
    while (processor.displayInfo().speakerName != expected && std::chrono::steady_clock::now() < deadline) play();
    const auto info = processor.displayInfo();
    if (info.speakerName != expected) {
        std::fprintf(stderr, "the new speaker never became active: %s\n", info.status.toRawUTF8());
        return 1;
    }
    juce::MemoryBlock state;
    processor.getStateInformation(state);
    const auto xml = juce::String::fromUTF8(static_cast<const char*>(state.getData()) + 8,
                                            static_cast<int>(state.getSize()) - 8);
    std::printf("speaker=%s name=%s seconds=%.3f blocks=%ld state_has_path=%d state_has_dir=%d\n",
                job.outPath().toRawUTF8(), info.speakerName.toRawUTF8(), job.seconds(), blocks,
                xml.contains(job.outPath()) ? 1 : 0, xml.contains("speakerDir=") ? 1 : 0);
    processor.releaseResources();
    return 0;
}
