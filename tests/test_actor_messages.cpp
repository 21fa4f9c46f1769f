// The actors' messages survive CAF's binary serialization whole, as they will when they cross to
// another machine: every field of each inspect() is there, in an order that reads back.
#include <gtest/gtest.h>

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/binary_deserializer.hpp>
#include <caf/binary_serializer.hpp>

#include "actors/messages.hpp"

namespace {

using namespace tomo::actors;

template <class T>
T round_trip(caf::actor_system& system, T value) {
  std::vector<char> bytes;
  caf::binary_serializer sink{system, bytes};
  EXPECT_FALSE(sink(value)) << "serializing";
  T back;
  caf::binary_deserializer source{system, bytes};
  EXPECT_FALSE(source(back)) << "deserializing";
  return back;
}

TEST(ActorMessages, SurviveSerialization) {
  caf::actor_system_config config;
  add_message_types(config);
  caf::actor_system system{config};

  projection_chunk chunk{3, 16, 2, {}};
  chunk.data.rows = {8, 10};
  chunk.data.read_rows = {6, 12};
  chunk.data.sinograms = {1, 2, 3, 4.5f};
  chunk.data.flat_field.rows = 6;
  chunk.data.flat_field.columns = 2;
  chunk.data.flat_field.dark = {0.5f, 0.25f};
  chunk.data.flat_field.inverse_gain = {2, 4};
  chunk.data.flat_field.defective_pixels = 7;
  chunk.data.flat_field.after_weight = {0.1f};
  chunk.data.flat_field.dynamic.components = 1;
  chunk.data.flat_field.dynamic.basis = {9};
  chunk.data.flat_field.dynamic_weights = {0.3f};
  const auto back = round_trip(system, chunk);
  EXPECT_EQ(back.slab, 3);
  EXPECT_EQ(back.first, 16);
  EXPECT_EQ(back.count, 2);
  EXPECT_EQ(back.data.rows, (tomo::Range{8, 10}));
  EXPECT_EQ(back.data.read_rows, (tomo::Range{6, 12}));
  EXPECT_EQ(back.data.sinograms, chunk.data.sinograms);
  EXPECT_EQ(back.data.flat_field.dark, chunk.data.flat_field.dark);
  EXPECT_EQ(back.data.flat_field.inverse_gain, chunk.data.flat_field.inverse_gain);
  EXPECT_EQ(back.data.flat_field.defective_pixels, 7);
  EXPECT_EQ(back.data.flat_field.after_weight, chunk.data.flat_field.after_weight);
  EXPECT_EQ(back.data.flat_field.dynamic.components, 1);
  EXPECT_EQ(back.data.flat_field.dynamic.basis, chunk.data.flat_field.dynamic.basis);
  EXPECT_EQ(back.data.flat_field.dynamic_weights, chunk.data.flat_field.dynamic_weights);

  const auto slices = round_trip(system, slab_slices{2, {{4, 6}, {1, 2, 3}}});
  EXPECT_EQ(slices.slab, 2);
  EXPECT_EQ(slices.data.rows, (tomo::Range{4, 6}));
  EXPECT_EQ(slices.data.slices, (std::vector<float>{1, 2, 3}));

  const auto news = round_trip(system, acquired{40, 900, true});
  EXPECT_EQ(news.written, 40);
  EXPECT_EQ(news.expected, 900);
  EXPECT_TRUE(news.complete);

  const auto view = round_trip(system, live_slice{12, 120, 2, {1, 2, 3, 4}});
  EXPECT_EQ(view.row, 12);
  EXPECT_EQ(view.added, 120);
  EXPECT_EQ(view.values, (std::vector<float>{1, 2, 3, 4}));

  job_event event = event_now("slice_written");
  event.slab = 1, event.rows = {0, 8}, event.first = 0, event.count = 90, event.row = 5, event.message = "m";
  const auto event_back = round_trip(system, event);
  EXPECT_EQ(event_back.kind, "slice_written");
  EXPECT_DOUBLE_EQ(event_back.time, event.time);
  EXPECT_EQ(event_back.rows, (tomo::Range{0, 8}));
  EXPECT_EQ(event_back.row, 5);
  EXPECT_EQ(event_back.message, "m");

  const auto failure = round_trip(system, job_failure{"writer", "disk full"});
  EXPECT_EQ(failure.stage, "writer");
  EXPECT_EQ(failure.reason, "disk full");

  const auto summary = round_trip(system, job_summary{"", {"a.tif", "b.tif"}, {1, 2, 3}, 4});
  EXPECT_EQ(summary.outputs, (std::vector<std::string>{"a.tif", "b.tif"}));
  EXPECT_EQ(summary.corrections.repaired, 1);
  EXPECT_EQ(summary.corrections.clamped, 3);
  EXPECT_EQ(summary.defective_flat_pixels, 4);
}

}  // namespace
