// One simulated scan written in the three HDF5 layouts reads identically through open_scan.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "storage/scan_reader.hpp"
#include "test_support.hpp"

namespace {

TEST(Layouts, TdfDataExchangeAndNxTomoOfOneScanReadIdentically) {
  const auto dir = tomo::test::scratch_dir("layouts");
  for (const char* layout : {"tdf", "dx", "nxtomo"}) {
    const auto r = tomo::test::run_tomoedge(fmt::format("simulate --out {}/scan.{} --layout {} --projections 40 --rows 5 "
                                                        "--columns 24 --flats 3 --darks 2 --seed 9",
                                                        dir.string(), layout, layout));
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }
  auto tdf = tomo::open_scan(dir / "scan.tdf");
  auto dx = tomo::open_scan(dir / "scan.dx");
  auto nx = tomo::open_scan(dir / "scan.nxtomo");
  EXPECT_EQ(tdf->info().layout, tomo::Layout::tdf);
  EXPECT_EQ(dx->info().layout, tomo::Layout::dx);
  EXPECT_EQ(nx->info().layout, tomo::Layout::nxtomo);
  EXPECT_EQ(dx->info().angles_deg, nx->info().angles_deg);
  ASSERT_EQ(dx->info().angles_deg.size(), 40u);
  EXPECT_DOUBLE_EQ(dx->info().angles_deg[1], 4.5);

  for (auto* scan : {dx.get(), nx.get()}) {
    const auto& a = tdf->info();
    const auto& b = scan->info();
    EXPECT_EQ(b.projections, a.projections);
    EXPECT_EQ(b.rows, a.rows);
    EXPECT_EQ(b.columns, a.columns);
    EXPECT_EQ(b.flats(), a.flats());
    EXPECT_EQ(b.darks(), a.darks());
    EXPECT_EQ(b.dtype, a.dtype);
    EXPECT_EQ(b.pixel_size_um, a.pixel_size_um);
    // Whole stacks and sub-blocks (projection and row ranges) agree value for value.
    for (auto [frames, count] : {std::pair{tomo::Frames::projections, 40}, std::pair{tomo::Frames::flats_before, 3},
                                 std::pair{tomo::Frames::darks_before, 2}}) {
      for (auto [images, rows] : {std::pair{tomo::Range{0, count}, tomo::Range{0, 5}},
                                  std::pair{tomo::Range{1, count}, tomo::Range{2, 4}}}) {
        std::vector<float> expected(static_cast<std::size_t>(images.size() * rows.size() * 24)), got(expected.size());
        tdf->read(frames, images, rows, expected);
        scan->read(frames, images, rows, got);
        EXPECT_EQ(got, expected) << tomo::to_string(b.layout) << " frames " << static_cast<int>(frames);
      }
    }
  }
}

}  // namespace
