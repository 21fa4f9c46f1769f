// `tomoedge info`: the JSON summary of the real tooth scan, the text summary, and errors that
// name the file (exit status 1, one line on stderr, no HDF5 error stack).
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;

const fs::path tooth = fs::path(TOMO_REAL_DATA_DIR) / "tomopy_tooth" / "tooth.h5";

struct Outcome {
  int exit_code = -1;
  std::string out, err;
};

// Runs `tomoedge ARGUMENTS`, keeping stdout and stderr apart.
Outcome run_tomoedge_apart(const std::string& arguments) {
  const fs::path err_file = tomo::test::scratch_dir("info") / "stderr.txt";
  const std::string command = fmt::format("'{}' {} 2>'{}'", TOMOEDGE_BINARY, arguments, err_file.string());
  Outcome run;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return run;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0) run.out.append(buffer.data(), n);
  const int status = pclose(pipe);
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::stringstream err;
  err << std::ifstream(err_file).rdbuf();
  run.err = err.str();
  return run;
}

std::string quoted(const fs::path& path) { return fmt::format("'{}'", path.string()); }

TEST(InfoCommand, JsonSummaryOfTheToothScan) {
  const Outcome run = run_tomoedge_apart(fmt::format("info --json {}", quoted(tooth)));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.err, "");
  const nlohmann::json info = nlohmann::json::parse(run.out);  // throws (fails the test) unless valid JSON
  for (const char* key : {"layout", "projections", "rows", "columns", "darks", "flats", "dtype", "flats_before",
                          "flats_after", "darks_before", "darks_after", "chunking", "compression", "angles",
                          "pixel_size_um", "distance_mm", "energy_kev", "sample", "file"})
    EXPECT_TRUE(info.contains(key)) << key;
  EXPECT_EQ(info["layout"], "dx");
  EXPECT_EQ(info["projections"], 181);
  EXPECT_EQ(info["rows"], 2);
  EXPECT_EQ(info["columns"], 640);
  EXPECT_EQ(info["darks"], 10);
  EXPECT_EQ(info["flats"], 10);
  EXPECT_EQ(info["dtype"], "float32");
  EXPECT_EQ(info["sample"], "Tooth");
  EXPECT_EQ(info["angles"]["count"], 181);
  EXPECT_NEAR(info["angles"]["last_deg"].get<double>(), 179.0055, 1e-4);
  EXPECT_TRUE(info["pixel_size_um"].is_null());
}

TEST(InfoCommand, JsonStaysValidWhenTheReaderWarns) {
  // K11's NXsource energy is in GeV (the ring's), which the reader ignores with a warning.
  const fs::path k11 = fs::path(TOMO_REAL_DATA_DIR) / "httomo_k11_diad" / "k11-18014.nxs";
  const Outcome run = run_tomoedge_apart(fmt::format("info --json {}", quoted(k11)));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.err.find("GeV"), std::string::npos) << run.err;
  const nlohmann::json info = nlohmann::json::parse(run.out);
  EXPECT_EQ(info["layout"], "nxtomo");
  EXPECT_EQ(info["projections"], 3001);
  EXPECT_EQ(info["flats_after"], 50);
  EXPECT_TRUE(info["energy_kev"].is_null());
}

TEST(InfoCommand, TextSummaryAndForcedLayout) {
  const Outcome run = run_tomoedge_apart(fmt::format("info {} --layout dx", quoted(tooth)));
  ASSERT_EQ(run.exit_code, 0) << run.err;
  EXPECT_NE(run.out.find("181 projections x 2 rows x 640 columns"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("Tooth"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find("10 (10 before, 0 after)"), std::string::npos) << run.out;
}

TEST(InfoCommand, ErrorsNameTheFile) {
  const fs::path missing = tomo::test::scratch_dir("missing") / "missing.h5";
  Outcome run = run_tomoedge_apart(fmt::format("info {}", quoted(missing)));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("missing.h5: no such file"), std::string::npos) << run.err;

  run = run_tomoedge_apart(fmt::format("info --layout nxtomo {}", quoted(tooth)));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("image_key"), std::string::npos) << run.err;
  EXPECT_EQ(run.err.find("HDF5-DIAG"), std::string::npos) << run.err;  // no HDF5 error stack

  run = run_tomoedge_apart(fmt::format("info --layout hdf {}", quoted(tooth)));
  EXPECT_NE(run.exit_code, 0);
}

}  // namespace
