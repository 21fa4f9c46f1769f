// `tomoedge jobs list|show|submit|cancel|retry`: the running service's jobs, through its REST API
// (docs/api.md), so that the command line and the web app see and change the same queue.
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include "cli/commands.hpp"
#include "cli/params_flags.hpp"
#include "gateway/http_client.hpp"
#include "kernels/error.hpp"
#include "storage/job_store.hpp"
#include "storage/proto_json.hpp"

namespace tomo::cli {
namespace {

struct JobsOptions {
  std::string server = "http://127.0.0.1:8080";
  std::uint64_t id = 0;
  bool json = false;
  std::string state;  // list: only jobs in this state
  // submit
  std::string input, out, preset, sample;
  int priority = 0;
  bool follow = false;
  ParamsFlags params;
};

// Calls the service; a 4xx or 5xx becomes a tomo::Error with the service's own message.
nlohmann::json call(const JobsOptions& o, const std::string& method, const std::string& target, const std::string& body = {}) {
  const auto response = gateway::http_call(gateway::parse_server_url(o.server), method, target, body);
  nlohmann::json answer = response.body.empty() ? nlohmann::json::object()
                                                : nlohmann::json::parse(response.body, nullptr, /*allow_exceptions=*/false);
  if (response.status >= 400) {
    const std::string message =
        answer.is_object() && answer.contains("error") ? answer["error"].get<std::string>() : response.body;
    fail("{} {}: {} (HTTP {})", method, target, message, response.status);
  }
  if (answer.is_discarded()) fail("{} {}: the service's answer is not JSON: {}", method, target, response.body);
  return answer;
}

std::string when(double unix_seconds) {
  if (unix_seconds <= 0) return "-";
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", std::localtime(&t));
  return text;
}

std::string progress(const nlohmann::json& job) {
  const int total = job.value("slices_total", 0);
  if (total == 0) return "-";
  return fmt::format("{}/{}", job.value("slices_written", 0), total);
}

void list(const JobsOptions& o) {
  // The table needs no logs or slabs.
  std::string target = o.json ? "/api/jobs?view=full" : "/api/jobs?view=summary";
  if (!o.state.empty()) target += "&state=" + o.state;
  const auto answer = call(o, "GET", target);
  if (o.json) {
    std::cout << answer.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("{:>5}  {:<9}  {:>11}  {:<19}  {:<20}  {}\n", "ID", "STATE", "SLICES", "CREATED", "SAMPLE", "INPUT");
  for (const auto& job : answer.value("jobs", nlohmann::json::array()))
    std::cout << fmt::format("{:>5}  {:<9}  {:>11}  {:<19}  {:<20}  {}\n", job.value("id", "?"), job.value("state", "?"),
                             progress(job), when(job.value("created", 0.0)), job.value("sample", ""), job.value("input", ""));
}

void show(const JobsOptions& o) {
  const auto job = call(o, "GET", fmt::format("/api/jobs/{}", o.id));
  if (o.json) {
    std::cout << job.dump(2) << "\n";
    return;
  }
  std::cout << fmt::format("job {}: {}\n", job.value("id", "?"), job.value("state", "?"));
  std::cout << fmt::format("  sample    {}\n  input     {}\n  output    {}\n", job.value("sample", ""), job.value("input", ""),
                           job.value("output", ""));
  std::cout << fmt::format("  slices    {}\n  created   {}\n  started   {}\n  finished  {}\n", progress(job),
                           when(job.value("created", 0.0)), when(job.value("started", 0.0)), when(job.value("finished", 0.0)));
  if (!job.value("error", "").empty()) std::cout << "  error     " << job.value("error", "") << "\n";
  for (const auto& line : job.value("log", nlohmann::json::array()))
    std::cout << fmt::format("  {}  {:<5}  {}\n", when(line.value("time", 0.0)), line.value("level", ""), line.value("message", ""));
}

void submit(const JobsOptions& o) {
  JobSubmission submission;
  // Relative paths are the user's: the service sees only absolute ones.
  submission.set_input(std::filesystem::absolute(o.input).string());
  submission.set_output(std::filesystem::absolute(o.out).string());
  *submission.mutable_params() = given_params(o.params);
  if (!o.params.angles.empty()) fail("jobs submit: --angles FIRST:STEP needs the scan here; give --angles-file instead");
  if (!o.preset.empty()) submission.set_preset(o.preset);
  if (!o.sample.empty()) submission.set_sample(o.sample);
  submission.set_priority(o.priority);
  submission.set_follow(o.follow);
  if (const char* user = std::getenv("USER")) submission.set_owner(user);
  const auto job = call(o, "POST", "/api/jobs", message_to_json(submission));
  if (o.json)
    std::cout << job.dump(2) << "\n";
  else
    std::cout << job.value("id", "?") << "\n";  // the id alone: scripts read it
}

void act(const JobsOptions& o, const char* action) {
  const auto job = call(o, "POST", fmt::format("/api/jobs/{}/{}", o.id, action));
  if (o.json)
    std::cout << job.dump(2) << "\n";
  else if (std::string(action) == "cancel" && job.value("state", "") == "running")
    std::cout << fmt::format("job {}: cancelling (it stops after the slab at hand)\n", job.value("id", "?"));
  else
    std::cout << fmt::format("job {}: {}\n", job.value("id", "?"), job.value("state", "?"));
}

}  // namespace

void add_jobs_command(CLI::App& app) {
  auto o = std::make_shared<JobsOptions>();
  if (const char* server = std::getenv("TOMOEDGE_SERVER")) o->server = server;
  CLI::App* jobs = app.add_subcommand("jobs", "The running service's jobs (through its REST API)");
  jobs->require_subcommand(1);
  jobs->add_option("--server", o->server, "The service's URL (default $TOMOEDGE_SERVER or http://127.0.0.1:8080)");

  CLI::App* list_command = jobs->add_subcommand("list", "List jobs");
  list_command->add_option("--state", o->state, "Only jobs in this state")
      ->check(CLI::IsMember({"queued", "running", "done", "failed", "cancelled"}));
  list_command->add_flag("--json", o->json, "Print the API's JSON");
  list_command->callback([o] { list(*o); });

  CLI::App* show_command = jobs->add_subcommand("show", "Show one job: state, progress, error, log");
  show_command->add_option("ID", o->id, "Job id")->required();
  show_command->add_flag("--json", o->json, "Print the job record as JSON");
  show_command->callback([o] { show(*o); });

  CLI::App* submit_command = jobs->add_subcommand("submit", "Queue a reconstruction; prints the new job's id");
  submit_command->add_option("INPUT", o->input, "Scan file (under the service's data roots)")->required();
  submit_command->add_option("--out", o->out, "Output folder (under the service's data roots)")->required();
  submit_command->add_option("--preset", o->preset, "Parameter preset the flags then override");
  submit_command->add_option("--sample", o->sample, "Sample name (default: the file's stem)");
  submit_command->add_option("--priority", o->priority, "Higher runs first")->check(CLI::Range(-1000, 1000));
  submit_command->add_flag("--follow", o->follow, "Reconstruct live while the scan is acquired");
  submit_command->add_flag("--json", o->json, "Print the job record instead of its id");
  add_params_flags(submit_command, o->params);
  submit_command->callback([o] { submit(*o); });

  for (const char* action : {"cancel", "retry"}) {
    CLI::App* command = jobs->add_subcommand(action, std::string(action) == "cancel" ? "Cancel a queued or running job"
                                                                                      : "Queue a failed or cancelled job again");
    command->add_option("ID", o->id, "Job id")->required();
    command->add_flag("--json", o->json, "Print the job record as JSON");
    command->callback([o, action] { act(*o, action); });
  }
}

}  // namespace tomo::cli
