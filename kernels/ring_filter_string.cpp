// The ring-filter strings: STP's "method:p1;p2" and Vo's methods in the same form.
#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>
#include <vector>

#include "kernels/error.hpp"
#include "kernels/ring_removal.hpp"

namespace tomo {
namespace {

// A median window or sliding window wider than any detector row (16k pixels at the widest, 2 ×
// 8k with an extended field of view) is a typo, not a setting.
constexpr double kMaxWidth = 10001;
constexpr double kRequired = std::numeric_limits<double>::quiet_NaN();

enum class Field {
  odd_width,  // a median window: odd, so that it has a centre pixel
  integer,
  real,
  ignored,  // STP's unused second field: empty or any number, stored as 0
  // Vo's median window: 1 (across the sorted image) or 2 (a square). Absent or empty it is stored
  // as 0, meaning 1, and to_string leaves a 0 out: filters built in code before the field existed
  // (their unused fields 0) and the strings they wrote keep their meaning and canonical form.
  dimension,
};

struct ParameterSpec {
  std::string_view name;
  Field field = Field::ignored;
  double low = 0, high = 0;   // allowed range, inclusive…
  bool low_open = false;      // …but (low, high] when set
  double fallback = kRequired;  // the value of an empty or absent field; NaN: it must be given
};

struct MethodSpec {
  RingMethod method;
  std::string_view key;
  std::string_view form;  // the allowed form, for error messages
  std::vector<ParameterSpec> parameters;
};

constexpr double kInf = std::numeric_limits<double>::infinity();

// Vo's SNR: below 1 the detection threshold sits inside the spread of ordinary columns and
// flags them; above 100 nothing real is ever flagged.
const ParameterSpec kSnr{"SNR", Field::real, 1, 100, false, 3};
const ParameterSpec kDimension{"window dimension", Field::dimension, 1, 2, false, 0};

const std::vector<MethodSpec>& method_specs() {
  static const std::vector<MethodSpec> specs{
      {RingMethod::none, "none", "none", {}},
      {RingMethod::rivers, "rivers", "rivers:N;_ with N an odd integer from 3 to 10001 (median width, pixels)",
       {{"median width", Field::odd_width, 3, kMaxWidth}, {"second field", Field::ignored}}},
      {RingMethod::boinhaibel, "boinhaibel",
       "boinhaibel:N;_ with N an odd integer from 3 to 10001 (median width, pixels)",
       {{"median width", Field::odd_width, 3, kMaxWidth}, {"second field", Field::ignored}}},
      // Ten db5 levels already shrink a 10k-pixel row to a few coefficients.
      {RingMethod::muenchetal, "muenchetal",
       "muenchetal:L;SIGMA with L an integer from 1 to 10 (wavelet levels) and SIGMA > 0 (Gaussian width, "
       "frequency bins)",
       {{"wavelet levels", Field::integer, 1, 10}, {"sigma", Field::real, 0, kInf, true}}},
      {RingMethod::raven, "raven",
       "raven:N;P with N an integer from 3 to 10001 (rows of vertical frequency filtered) and P from 0 to 1 "
       "(smoothing)",
       {{"window", Field::integer, 3, kMaxWidth}, {"smoothing", Field::real, 0, 1}}},
      {RingMethod::oimoen, "oimoen",
       "oimoen:N1;N2 with N1, N2 odd integers from 3 to 10001 (horizontal and vertical median widths, pixels)",
       {{"horizontal median width", Field::odd_width, 3, kMaxWidth},
        {"vertical median width", Field::odd_width, 3, kMaxWidth}}},
      {RingMethod::sijberspostnov, "sijberspostnov",
       "sijberspostnov:W;T with W an integer from 3 to 10001 (window, pixels) and T > 0 (variance threshold, "
       "line integral squared)",
       {{"window", Field::integer, 3, kMaxWidth}, {"variance threshold", Field::real, 0, kInf, true}}},
      {RingMethod::vo_sort, "vo-sort",
       "vo-sort[:SIZE[;DIM]] with SIZE an odd integer from 3 to 10001 (default 21) and DIM 1 or 2 (median "
       "across SIZE columns, or over SIZE x SIZE; default 1)",
       {{"median size", Field::odd_width, 3, kMaxWidth, false, 21}, kDimension}},
      {RingMethod::vo_filter, "vo-filter",
       "vo-filter[:SIGMA[;SIZE[;DIM]]] with SIGMA > 0 (Gaussian width, frequency bins; default 3), SIZE an "
       "odd integer from 3 to 10001 (default 21) and DIM 1 or 2 (median across SIZE columns, or over SIZE x "
       "SIZE; default 1)",
       {{"sigma", Field::real, 0, kInf, true, 3}, {"median size", Field::odd_width, 3, kMaxWidth, false, 21},
        kDimension}},
      {RingMethod::vo_large, "vo-large",
       "vo-large[:SNR[;SIZE]] with SNR from 1 to 100 (default 3) and SIZE an odd integer from 3 to 10001 "
       "(default 51)",
       {kSnr, {"median size", Field::odd_width, 3, kMaxWidth, false, 51}}},
      {RingMethod::vo_dead, "vo-dead",
       "vo-dead[:SNR[;SIZE]] with SNR from 1 to 100 (default 3) and SIZE an odd integer from 3 to 10001 "
       "(default 51)",
       {kSnr, {"median size", Field::odd_width, 3, kMaxWidth, false, 51}}},
      {RingMethod::vo_all, "vo-all",
       "vo-all[:SNR[;LA_SIZE[;SM_SIZE[;DIM]]]] with SNR from 1 to 100 (default 3), LA_SIZE, SM_SIZE odd "
       "integers from 3 to 10001 (defaults 61 and 21) and DIM 1 or 2 (the sorting step's median across "
       "SM_SIZE columns, or over SM_SIZE x SM_SIZE; default 1)",
       {kSnr, {"large-stripe size", Field::odd_width, 3, kMaxWidth, false, 61},
        {"sorting size", Field::odd_width, 3, kMaxWidth, false, 21}, kDimension}},
      // A polynomial above order 10 over a whole column follows the object's sinusoids, not the
      // column's trend.
      {RingMethod::vo_fit, "vo-fit",
       "vo-fit[:ORDER[;SIGMA]] with ORDER an integer from 1 to 10 (polynomial order of the fit along the "
       "angle; default 2) and SIGMA > 0 (Gaussian width across, frequency bins; default 10)",
       {{"polynomial order", Field::integer, 1, 10, false, 2}, {"sigma", Field::real, 0, kInf, true, 10}}},
  };
  return specs;
}

const MethodSpec& spec_of(RingMethod method) {
  for (const auto& spec : method_specs())
    if (spec.method == method) return spec;
  fail("ring filter: unknown method number {}", static_cast<int>(method));
}

std::string all_forms() {
  std::string forms;
  for (const auto& spec : method_specs()) {
    if (!forms.empty()) forms += ", ";
    forms += spec.form.substr(0, spec.form.find(' '));
  }
  return forms;
}

std::string_view trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

std::string format_value(const ParameterSpec& p, double value) {
  const bool whole = std::isfinite(value) && value == std::floor(value) && std::abs(value) < 1e15;
  if (p.field == Field::real || !whole) return fmt::format("{}", value);
  return fmt::format("{}", static_cast<long long>(value));
}

// What is wrong with a value of the right kind, or nothing.
std::string range_problem(const ParameterSpec& p, double value) {
  if (p.field == Field::ignored) return {};
  if (p.field == Field::dimension) return value == 0 || value == 1 || value == 2 ? "" : "must be 1 or 2";
  if (!std::isfinite(value)) return "is not finite";
  if (p.field != Field::real && value != std::floor(value)) return "is not an integer";
  if (p.low_open && value <= p.low) return fmt::format("must be above {}", p.low);
  if (value < p.low) return fmt::format("is below {}", p.low);
  if (value > p.high) return fmt::format("is above {}", p.high);
  if (p.field == Field::odd_width && std::fmod(value, 2.0) == 0) return "is even (a median window needs a centre pixel)";
  return {};
}

double parse_field(std::string_view text, const ParameterSpec& p, std::string_view field, const MethodSpec& spec) {
  const char* begin = field.data();
  const char* end = begin + field.size();
  if (p.field == Field::odd_width || p.field == Field::integer || p.field == Field::dimension) {
    long long value = 0;
    const auto [rest, error] = std::from_chars(begin, end, value);
    if (error != std::errc() || rest != end)
      fail("ring filter '{}': {} '{}' is not an integer; expected {}", text, p.name, field, spec.form);
    // Written out, only 1 or 2: the stored 0 stands for a field not given.
    if (p.field == Field::dimension && value != 1 && value != 2)
      fail("ring filter '{}': {} {} must be 1 or 2; expected {}", text, p.name, value, spec.form);
    return static_cast<double>(value);
  }
  double value = 0;
  const auto [rest, error] = std::from_chars(begin, end, value);
  if (error != std::errc() || rest != end || !std::isfinite(value))
    fail("ring filter '{}': {} '{}' is not a number; expected {}", text, p.name, field, spec.form);
  return p.field == Field::ignored ? 0.0 : value;
}

// Parameters p1 … p4 of a RingFilter.
using Values = std::array<double, 4>;

void check_ranges(std::string_view text, const MethodSpec& spec, const Values& values) {
  for (std::size_t i = 0; i < spec.parameters.size(); ++i) {
    const auto& p = spec.parameters[i];
    const std::string problem = range_problem(p, values[i]);
    if (!problem.empty())
      fail("ring filter '{}': {} {} {}; expected {}", text, p.name, format_value(p, values[i]), problem, spec.form);
  }
}

}  // namespace

RingFilter parse_ring_filter(const std::string& text) {
  const std::string_view whole = trim(text);
  const auto colon = whole.find(':');
  const std::string_view key = trim(whole.substr(0, colon));
  const auto found = std::find_if(method_specs().begin(), method_specs().end(),
                                  [&](const MethodSpec& spec) { return spec.key == key; });
  if (found == method_specs().end())
    fail("ring filter '{}': unknown method '{}'; expected one of {}", text, key, all_forms());
  const MethodSpec& spec = *found;
  std::vector<std::string_view> fields;
  if (colon != std::string_view::npos) {
    std::string_view rest = whole.substr(colon + 1);
    for (std::size_t semicolon; (semicolon = rest.find(';')) != std::string_view::npos; rest = rest.substr(semicolon + 1))
      fields.push_back(trim(rest.substr(0, semicolon)));
    fields.push_back(trim(rest));
  }
  if (spec.parameters.empty() && !fields.empty())
    fail("ring filter '{}': {} takes no parameters; expected {}", text, spec.key, spec.form);
  if (fields.size() > spec.parameters.size())
    fail("ring filter '{}': {} parameters given, {} takes {}; expected {}", text, fields.size(), spec.key,
         spec.parameters.size(), spec.form);
  Values values{};
  for (std::size_t i = 0; i < spec.parameters.size(); ++i) {
    const auto& p = spec.parameters[i];
    const std::string_view field = i < fields.size() ? fields[i] : std::string_view{};
    if (!field.empty()) values[i] = parse_field(text, p, field, spec);
    else if (p.field == Field::ignored) values[i] = 0;
    else if (!std::isnan(p.fallback)) values[i] = p.fallback;
    else fail("ring filter '{}': {} is missing; expected {}", text, p.name, spec.form);
  }
  check_ranges(text, spec, values);
  return {spec.method, values[0], values[1], values[2], values[3]};
}

std::string to_string(const RingFilter& filter) {
  const MethodSpec& spec = spec_of(filter.method);
  std::string text(spec.key);
  const Values values{filter.p1, filter.p2, filter.p3, filter.p4};
  for (std::size_t i = 0; i < spec.parameters.size(); ++i) {
    if (spec.parameters[i].field == Field::dimension && values[i] == 0) continue;  // always the last field
    text += i == 0 ? ":" : ";";
    text += spec.parameters[i].field == Field::ignored ? "0" : format_value(spec.parameters[i], values[i]);
  }
  return text;
}

void check_ring_filter(const RingFilter& filter) {
  const MethodSpec& spec = spec_of(filter.method);
  check_ranges(to_string(filter), spec, {filter.p1, filter.p2, filter.p3, filter.p4});
}

}  // namespace tomo
