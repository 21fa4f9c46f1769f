// The memory planner: slab sizes from the steps' declared needs and the budget.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "kernels/error.hpp"
#include "kernels/fbp.hpp"
#include "kernels/gridrec.hpp"
#include "kernels/slab_plan.hpp"

namespace {

constexpr std::int64_t kMiB = 1 << 20;

const std::vector<tomo::MemoryNeed> kNeeds{{"raw sinograms", 0, 3 * kMiB}, {"workspace", 10 * kMiB, 0},
                                           {"slices", 0, kMiB}};

TEST(SlabPlan, SumsFixedAndPerRowNeeds) {
  EXPECT_EQ(tomo::total_bytes(kNeeds, 1), 14 * kMiB);
  EXPECT_EQ(tomo::total_bytes(kNeeds, 16), 74 * kMiB);
  EXPECT_EQ(tomo::describe(kNeeds, 2),
            "raw sinograms 6.0 MiB, workspace 10.0 MiB, slices 2.0 MiB, in all 18.0 MiB for 2 rows");
}

TEST(SlabPlan, SlabsFillTheBudgetInWholeGroups) {
  // 10 MiB fixed + 4 MiB a row: 100 MiB holds 22 rows, one whole group of 16.
  EXPECT_EQ(tomo::rows_per_slab(100 * kMiB, 1000, kNeeds, 16), 16);
  EXPECT_EQ(tomo::rows_per_slab(140 * kMiB, 1000, kNeeds, 16), 32);  // 32.5 rows fit
  // Fewer rows than a group: as many as fit.
  EXPECT_EQ(tomo::rows_per_slab(30 * kMiB, 1000, kNeeds, 16), 5);
  // Exactly one row.
  EXPECT_EQ(tomo::rows_per_slab(14 * kMiB, 1000, kNeeds, 16), 1);
}

TEST(SlabPlan, LargeBudgetsStillMakeFourSlabsForOverlap) {
  // Everything fits, but a quarter of 256 rows (64) keeps reading, computing and writing overlapped.
  EXPECT_EQ(tomo::rows_per_slab(std::int64_t{64} << 30, 256, kNeeds, 16), 64);
  // A scan smaller than a group is one slab.
  EXPECT_EQ(tomo::rows_per_slab(std::int64_t{64} << 30, 5, kNeeds, 16), 5);
}

TEST(SlabPlan, TooSmallABudgetNamesEveryStepAndTheSizes) {
  try {
    tomo::rows_per_slab(13 * kMiB, 100, kNeeds, 16);
    FAIL() << "13 MiB cannot hold the 14 MiB one row needs";
  } catch (const tomo::Error& e) {
    const std::string message = e.what();
    for (const char* part : {"13.0 MiB", "14.0 MiB", "raw sinograms 3.0 MiB", "workspace 10.0 MiB", "--memory"})
      EXPECT_NE(message.find(part), std::string::npos) << part << " missing from: " << message;
  }
}

// The reconstructors' declared working memory is what they allocate: gridrec one grid per thread
// (2560² complex values and buffers at N = 2048), FBP a 16-slice interleaved copy.
TEST(SlabPlan, ReconstructorsDeclareTheirWorkingMemory) {
  tomo::FbpSettings settings;
  settings.geometry = {2048, 1024.0f, std::vector<float>(1800, 0.0f)};
  settings.threads = 2;
  const auto gridrec = tomo::GridrecReconstructor(settings).memory_need();
  EXPECT_EQ(gridrec.bytes_per_row, 0);
  EXPECT_GT(gridrec.fixed_bytes, 2 * 2560LL * 2560 * 8);
  EXPECT_LT(gridrec.fixed_bytes, 2 * 2600LL * 2600 * 8 + 2 * kMiB);
  const auto fbp = tomo::FbpReconstructor(settings).memory_need();
  EXPECT_EQ(fbp.bytes_per_row, 0);
  EXPECT_GE(fbp.fixed_bytes, 16LL * 1800 * 2051 * 4);
}

}  // namespace
