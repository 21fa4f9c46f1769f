#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "kernels/error.hpp"
#include "storage/recon_params.hpp"
#include "test_support.hpp"

namespace {

std::string error_of(const tomo::ReconParams& p) {
  try {
    tomo::validate(p);
  } catch (const tomo::Error& e) {
    return e.what();
  }
  return "";
}

TEST(ReconParams, DefaultsAreValidAndComplete) {
  const auto p = tomo::default_params();
  EXPECT_EQ(error_of(p), "");
  EXPECT_TRUE(p.has_filter_cutoff());
  EXPECT_TRUE(p.has_flat_field());
  EXPECT_EQ(p.projection_step(), 1);
  EXPECT_EQ(p.slice_to(), -1);
}

TEST(ReconParams, JsonRoundTripKeepsExplicitFalseAndZero) {
  auto p = tomo::with_defaults(tomo::params_from_json(R"({"flatField": false, "corOffset": 0, "filter": "hann"})", "test"));
  EXPECT_FALSE(p.flat_field());
  EXPECT_EQ(p.filter(), "hann");
  EXPECT_TRUE(p.minus_log());  // untouched default
  const auto again = tomo::params_from_json(tomo::params_to_json(p), "round trip");
  EXPECT_EQ(again.SerializeAsString(), p.SerializeAsString());
  // snake_case names from the .proto are accepted too
  EXPECT_EQ(tomo::params_from_json(R"({"projection_step": 3})", "test").projection_step(), 3);
}

TEST(ReconParams, MalformedOrUnknownJsonNamesTheSource) {
  for (const char* json : {"{", R"({"filterr": "hann"})", R"({"projectionStep": "many"})"}) {
    try {
      tomo::params_from_json(json, "my.json");
      FAIL() << json;
    } catch (const tomo::Error& e) {
      EXPECT_NE(std::string(e.what()).find("my.json"), std::string::npos) << e.what();
    }
  }
}

TEST(ReconParams, OutOfRangeValuesNameFieldValueAndRange) {
  auto p = tomo::default_params();
  p.set_filter_cutoff(1.5f);
  EXPECT_EQ(error_of(p), "ReconParams.filter_cutoff = 1.5 is out of range (0, 1]");
  p = tomo::default_params();
  p.set_projection_step(0);
  EXPECT_NE(error_of(p).find("projection_step = 0"), std::string::npos);
  p = tomo::default_params();
  p.set_filter("butterworth");
  EXPECT_NE(error_of(p).find("butterworth"), std::string::npos);
  p = tomo::default_params();
  p.set_output_type("uint8");  // needs out_min < out_max
  EXPECT_NE(error_of(p).find("out_min"), std::string::npos);
  p = tomo::default_params();
  p.set_slice_from(10);
  p.set_slice_to(5);
  EXPECT_NE(error_of(p).find("slice_to = 5"), std::string::npos);
  p = tomo::default_params();
  p.set_prefix("../escape");
  EXPECT_NE(error_of(p).find("prefix"), std::string::npos);
  p = tomo::default_params();
  p.set_device("tpu");
  EXPECT_NE(error_of(p).find("device"), std::string::npos);
}

TEST(ReconParams, MemorySizes) {
  EXPECT_EQ(tomo::parse_memory_size("4G"), 4LL << 30);
  EXPECT_EQ(tomo::parse_memory_size("512MiB"), 512LL << 20);
  EXPECT_EQ(tomo::parse_memory_size("1.5g"), 3LL << 29);
  EXPECT_EQ(tomo::parse_memory_size("1000"), 1000);
  EXPECT_THROW(tomo::parse_memory_size("lots"), tomo::Error);
  EXPECT_THROW(tomo::parse_memory_size("4Q"), tomo::Error);
  EXPECT_THROW(tomo::parse_memory_size("-1G"), tomo::Error);
}

}  // namespace

namespace {

TEST(ReconCommand, ParamsFileThenFlagsThenDumpParams) {
  const auto dir = tomo::test::scratch_dir("params");
  std::ofstream(dir / "p.json") << R"({"filter": "hann", "corOffset": 2.5, "flatField": false})";
  const auto r = tomo::test::run_tomoedge("recon any.tdf --params " + (dir / "p.json").string() +
                                          " --cor-offset 3.25 --slices 4:8 --dump-params --log-level off");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const auto p = tomo::params_from_json(r.output, "dump");
  EXPECT_EQ(p.filter(), "hann");           // from the file
  EXPECT_FALSE(p.flat_field());            // from the file, an explicit false
  EXPECT_EQ(p.cor_offset(), 3.25);         // the flag wins over the file
  EXPECT_EQ(p.slice_from(), 4);
  EXPECT_EQ(p.slice_to(), 8);
  EXPECT_EQ(p.projection_step(), 1);       // default
}

TEST(ReconCommand, BadParamsFileIsNamed) {
  const auto dir = tomo::test::scratch_dir("badparams");
  std::ofstream(dir / "bad.json") << R"({"filter": )";
  const auto r = tomo::test::run_tomoedge("recon any.tdf --dump-params --params " + (dir / "bad.json").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("bad.json"), std::string::npos) << r.output;
}

}  // namespace
