// Restart safety with real processes: `tomoedge serve` killed with SIGKILL mid-job and started
// again resumes its jobs, re-runs only the slabs not written, and ends with the output of an
// uninterrupted run; acknowledged jobs are never lost, whatever moment the kill comes at.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "gateway/http_client.hpp"
#include "storage/job_store.hpp"
#include "test_support.hpp"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using tomo::test::run_tomoedge;

// A port no one listens on now (the kernel's pick for a socket bound to port 0).
std::uint16_t free_port() {
  const int s = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  bind(s, reinterpret_cast<sockaddr*>(&address), sizeof address);
  getsockname(s, reinterpret_cast<sockaddr*>(&address), &length);
  close(s);
  return ntohs(address.sin_port);
}

// One `tomoedge serve` process over `dir` (data root) and dir/db, its output appended to dir/serve.log.
class Service {
 public:
  Service(const fs::path& dir, int concurrent_jobs) : dir_(dir), concurrent_jobs_(concurrent_jobs), port_(free_port()) {}
  ~Service() { kill_now(); }

  // `defaults`: only --listen, in `dir` as the current folder: what `serve` does with no configuration.
  void start(bool defaults = false) {
    std::vector<std::string> args{TOMOEDGE_BINARY, "serve", "--listen", fmt::format("127.0.0.1:{}", port_)};
    if (!defaults)
      args.insert(args.end(), {"--data-root", dir_.string(), "--db", (dir_ / "db").string(), "--concurrent-jobs",
                               std::to_string(concurrent_jobs_)});
    std::vector<char*> argv;
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    posix_spawn_file_actions_t files;
    posix_spawn_file_actions_init(&files);
    const std::string log = (dir_ / "serve.log").string();
    posix_spawn_file_actions_addopen(&files, 1, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&files, 1, 2);
    if (defaults) posix_spawn_file_actions_addchdir_np(&files, dir_.c_str());
    ASSERT_EQ(posix_spawn(&pid_, argv[0], &files, nullptr, argv.data(), environ), 0);
    posix_spawn_file_actions_destroy(&files);
    const auto until = std::chrono::steady_clock::now() + 30s;
    while (std::chrono::steady_clock::now() < until) {
      try {
        if (call("GET", "/api/health").status == 200) return;
      } catch (const tomo::Error&) {
      }
      std::this_thread::sleep_for(20ms);
    }
    FAIL() << "serve did not answer; its log:\n" << log_text();
  }

  void kill_now() { stop(SIGKILL); }

  // Sends `signal` and returns the exit status (-1: killed by a signal).
  int stop(int signal) {
    if (pid_ <= 0) return -1;
    kill(pid_, signal);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  tomo::gateway::HttpResponse call(const std::string& method, const std::string& target, const std::string& body = {}) {
    return tomo::gateway::http_call({"127.0.0.1", port_}, method, target, body, 10s);
  }
  nlohmann::json job(std::uint64_t id) { return nlohmann::json::parse(call("GET", fmt::format("/api/jobs/{}", id)).body); }

  std::uint64_t submit(const fs::path& scan, const fs::path& out, const std::string& memory) {
    const auto response = call("POST", "/api/jobs",
                               nlohmann::json{{"input", scan.string()},
                                              {"output", out.string()},
                                              {"params", {{"method", "fbp"}, {"memory_bytes", memory}}}}
                                   .dump());
    EXPECT_EQ(response.status, 201) << response.body;
    return std::stoull(nlohmann::json::parse(response.body).at("id").get<std::string>());
  }

  std::uint16_t port() const { return port_; }

  // The job once it has ended (or `timeout` is over).
  nlohmann::json wait_for_end(std::uint64_t id, std::chrono::seconds timeout = 120s) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    nlohmann::json job = this->job(id);
    while (job.at("state") != "done" && job.at("state") != "failed" && job.at("state") != "cancelled" &&
           std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(20ms);
      job = this->job(id);
    }
    return job;
  }
  // Returns once a slab of the job is written: mid-job, the moment to stop the service.
  void wait_for_a_written_slab(std::uint64_t id) {
    const auto until = std::chrono::steady_clock::now() + 60s;
    while (job(id).value("slices_written", 0) == 0 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(5ms);
  }

  std::string log_text() const {
    std::ifstream in(dir_ / "serve.log");
    return {std::istreambuf_iterator<char>(in), {}};
  }

 private:
  fs::path dir_;
  int concurrent_jobs_;
  std::uint16_t port_;
  pid_t pid_ = -1;
};

// The job as the stopped service left it in its store.
tomo::Job stored_job(const fs::path& dir, std::uint64_t id) {
  const tomo::JobStore store(dir / "db");
  return *store.get(id);
}

fs::path simulated_scan(const fs::path& dir, const std::string& flags) {
  const fs::path scan = dir / "scan.tdf";
  const auto r = run_tomoedge(fmt::format("simulate --out {} {}", scan.string(), flags));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return scan;
}

// A scan cut into several slabs by an 8 MiB budget, each taking long enough to stop a job mid-way.
constexpr const char* kSlabbedScan = "--rows 48 --columns 192 --projections 360";

fs::path reference_output(const fs::path& scan, const fs::path& where, const std::string& memory) {
  const auto r = run_tomoedge(fmt::format("recon {} --out {} --method fbp --memory {}", scan.string(), where.string(), memory));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  return where;
}

TEST(ServiceRestart, KilledMidJobItResumesAndTheOutputIsThatOfAnUninterruptedRun) {
  const auto dir = fs::canonical(tomo::test::scratch_dir("kill"));
  const fs::path scan = simulated_scan(dir, fmt::format("--seed 4 {}", kSlabbedScan));
  const auto reference = reference_output(scan, dir / "reference", "8M");

  Service service(dir, 1);
  service.start();
  const auto id = service.submit(scan, dir / "out", "8388608");
  service.wait_for_a_written_slab(id);  // killed once some slab is committed, while others are not
  service.kill_now();

  const tomo::Job at_kill = stored_job(dir, id);
  ASSERT_EQ(at_kill.state(), tomo::Job::running) << "the job was not killed mid-run";
  int written = 0;
  for (const auto& slab : at_kill.slabs()) written += slab.written();
  ASSERT_GT(written, 0);
  ASSERT_LT(written, at_kill.slabs_size());

  service.start();
  const nlohmann::json job = service.wait_for_end(id);
  ASSERT_EQ(job.at("state"), "done") << job.dump(2) << service.log_text();
  EXPECT_EQ(job.at("attempts"), 2);
  // No work repeated beyond the interrupted slabs: those written before the kill kept their record.
  for (int s = 0; s < at_kill.slabs_size(); ++s)
    if (at_kill.slabs(s).written()) {
      EXPECT_EQ(job.at("slabs")[s].at("written_at").get<double>(), at_kill.slabs(s).written_at()) << "slab " << s << " ran again";
    }
  tomo::test::expect_same_slices(dir / "out", reference);
}

// `systemctl stop` (SIGTERM) mid-job: the service interrupts the job, exits cleanly, and the job
// resumes at the next start.
TEST(ServiceRestart, StoppedWithSigtermMidJobItExitsCleanlyAndTheJobResumes) {
  const auto dir = fs::canonical(tomo::test::scratch_dir("term"));
  const fs::path scan = simulated_scan(dir, fmt::format("--seed 4 {}", kSlabbedScan));
  const auto reference = reference_output(scan, dir / "reference", "8M");
  Service service(dir, 1);
  service.start();
  const auto id = service.submit(scan, dir / "out", "8388608");
  service.wait_for_a_written_slab(id);
  EXPECT_EQ(service.stop(SIGTERM), 0) << service.log_text();
  const tomo::Job stopped = stored_job(dir, id);
  ASSERT_EQ(stopped.state(), tomo::Job::queued) << "not interrupted: " << tomo::to_string(stopped.state());
  EXPECT_NE(stopped.log(stopped.log_size() - 1).message().find("interrupted"), std::string::npos);
  service.start();
  const nlohmann::json job = service.wait_for_end(id);
  ASSERT_EQ(job.at("state"), "done") << job.dump(2);
  tomo::test::expect_same_slices(dir / "out", reference);
}

// SIGKILL at random moments while 20 jobs are submitted and run: every job the service
// acknowledged completes, a job marked done has all of its output, and every output belongs to a
// job marked done.
TEST(ServiceRestart, TwentyJobsSurviveKillsAtRandomMoments) {
  const auto dir = fs::canonical(tomo::test::scratch_dir("kills"));
  const fs::path scan = simulated_scan(dir, fmt::format("--seed 9 {}", kSlabbedScan));
  const auto reference = reference_output(scan, dir / "reference", "8M");

  Service service(dir, 2);
  service.start();
  // A client submits the 20 jobs while the kills come, each until the service acknowledges it (a
  // submission cut off by a kill may have been stored unacknowledged: it runs too).
  constexpr int kJobs = 20;
  std::vector<std::uint64_t> ids(kJobs);
  std::atomic<int> acknowledged{0};
  std::thread client([&] {
    for (int j = 0; j < kJobs; ++j)
      for (;;) {
        try {
          const auto response = service.call(
              "POST", "/api/jobs",
              nlohmann::json{{"input", scan.string()},
                             {"output", (dir / fmt::format("out{:02d}", j)).string()},
                             {"params", {{"method", "fbp"}, {"memory_bytes", "8388608"}}}}
                  .dump());
          if (response.status == 201) {
            ids[j] = std::stoull(nlohmann::json::parse(response.body).at("id").get<std::string>());
            ++acknowledged;
            std::this_thread::sleep_for(40ms);  // spread the submissions over the kills
            break;
          }
        } catch (const tomo::Error&) {  // the service is down: try again
        }
        std::this_thread::sleep_for(10ms);
      }
  });

  std::mt19937 random(20261124);  // fixed: a failure can be run again as it was
  std::uniform_int_distribution<int> moment_ms(50, 350);
  // Every job acknowledged, and every job ended, done or not (a failure is reported below).
  const auto all_done = [&] {
    if (acknowledged < kJobs) return false;
    for (const char* state : {"queued", "running"})
      if (!nlohmann::json::parse(service.call("GET", fmt::format("/api/jobs?state={}", state)).body).at("jobs").empty())
        return false;
    return true;
  };
  int kills_mid_run = 0, kills_mid_submission = 0;
  for (int kill = 0; kill < 6; ++kill) {
    std::this_thread::sleep_for(std::chrono::milliseconds(moment_ms(random)));
    if (all_done()) break;
    kills_mid_submission += acknowledged < kJobs;
    service.kill_now();
    ++kills_mid_run;
    service.start();
  }
  client.join();
  const auto until = std::chrono::steady_clock::now() + 300s;
  while (!all_done() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
  EXPECT_GE(kills_mid_run, 3) << "the jobs ended before they could be killed: the test shows nothing";
  EXPECT_GE(kills_mid_submission, 1) << "no kill came while jobs were being submitted";
  RecordProperty("kills", kills_mid_run);
  RecordProperty("kills_while_submitting", kills_mid_submission);

  for (std::size_t j = 0; j < ids.size(); ++j) {
    const auto job = service.job(ids[j]);
    ASSERT_EQ(job.at("state"), "done") << job.dump(2);
    const fs::path out = dir / fmt::format("out{:02d}", j);
    EXPECT_EQ(job.at("output"), out.string());
    EXPECT_EQ(job.at("outputs").size(), job.at("slices_total").get<std::size_t>());
    for (const auto& path : job.at("outputs")) EXPECT_TRUE(fs::exists(path.get<std::string>())) << path;
    tomo::test::expect_same_slices(out, reference);
  }
  // Every job in the store (the acknowledged ones, and any stored but cut off before its answer)
  // is done with all of its output, and every output folder belongs to a job that is done.
  const auto all = nlohmann::json::parse(service.call("GET", "/api/jobs").body).at("jobs");
  EXPECT_GE(all.size(), ids.size());
  std::set<std::string> done_outputs;
  for (const auto& job : all) {
    EXPECT_EQ(job.at("state"), "done") << job.dump(2);
    for (const auto& path : job.at("outputs")) EXPECT_TRUE(fs::exists(path.get<std::string>())) << path;
    done_outputs.insert(job.at("output").get<std::string>());
  }
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (entry.is_directory() && entry.path().filename().string().starts_with("out")) {
      EXPECT_TRUE(done_outputs.count(entry.path().string())) << "an output without a done job: " << entry.path();
    }
  }
}

// With no configuration and no flags but --listen, `serve` works on the folder it was started in.
TEST(ServiceRestart, ServeWithNoConfigurationRunsAWorkingDefault) {
  const auto dir = fs::canonical(tomo::test::scratch_dir("defaults"));
  const fs::path scan = simulated_scan(dir, "--rows 4 --columns 32 --projections 30");
  Service service(dir, 1);
  service.start(/*defaults=*/true);
  const auto id = service.submit(scan, dir / "out", "0");
  const nlohmann::json job = service.wait_for_end(id);
  EXPECT_EQ(job.at("state"), "done") << job.dump(2);
  EXPECT_TRUE(fs::is_directory(dir / "tomoedge-db"));
  // Outside the folder it was started in, nothing.
  EXPECT_EQ(service.call("POST", "/api/jobs", R"({"input": "/etc/hostname", "output": "/tmp/x"})").status, 400);
}

// What `serve` cannot work with is said at start, with a non-zero exit, rather than a crash loop.
TEST(ServiceRestart, ServeRefusesABadDatabaseOrConfigurationAtStart) {
  const auto dir = fs::canonical(tomo::test::scratch_dir("refuse"));
  fs::create_directories(dir / "notadb");
  std::ofstream(dir / "notadb" / "thesis.tex") << "\\documentclass{article}";
  auto r = run_tomoedge(fmt::format("serve --listen 127.0.0.1:{} --data-root {} --db {}", free_port(), dir.string(),
                                    (dir / "notadb").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("not a tomoedge job database"), std::string::npos) << r.output;

  std::ofstream(dir / "bad.json") << R"({"listen": "127.0.0.1:8080", "concurent_jobs": 2})";
  r = run_tomoedge(fmt::format("serve --config {}", (dir / "bad.json").string()));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("concurent_jobs"), std::string::npos) << r.output;
}

// `tomoedge jobs` over the REST API: submit prints the id, show --json the record, a bad
// submission the service's reason.
TEST(ServiceRestart, TheJobsCommandTalksToTheRunningService) {
  const auto dir = fs::canonical(tomo::test::scratch_dir("cli"));
  const fs::path scan = simulated_scan(dir, "--rows 4 --columns 32 --projections 30");
  Service service(dir, 1);
  service.start();
  const std::string server = fmt::format("--server http://127.0.0.1:{}", service.port());
  const auto submitted = run_tomoedge(fmt::format("jobs submit {} --out {} --method fbp --priority 2 {}", scan.string(),
                                                  (dir / "out").string(), server));
  ASSERT_EQ(submitted.exit_code, 0) << submitted.output;
  const std::uint64_t id = std::stoull(submitted.output);
  nlohmann::json job;
  const auto until = std::chrono::steady_clock::now() + 60s;
  do {
    const auto shown = run_tomoedge(fmt::format("jobs show {} --json {}", id, server));
    ASSERT_EQ(shown.exit_code, 0) << shown.output;
    job = nlohmann::json::parse(shown.output);
  } while (job.at("state") != "done" && job.at("state") != "failed" && std::chrono::steady_clock::now() < until);
  EXPECT_EQ(job.at("state"), "done") << job.dump(2);
  EXPECT_EQ(job.at("priority"), 2);
  EXPECT_EQ(job.at("params").at("method"), "fbp");
  const auto listed = run_tomoedge(fmt::format("jobs list {}", server));
  EXPECT_NE(listed.output.find("done"), std::string::npos) << listed.output;

  const auto refused = run_tomoedge(fmt::format("jobs submit /etc/hostname --out {} {}", (dir / "out2").string(), server));
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.output.find("outside the data roots"), std::string::npos) << refused.output;
  const auto retried = run_tomoedge(fmt::format("jobs retry {} {}", id, server));
  EXPECT_EQ(retried.exit_code, 1);
  EXPECT_NE(retried.output.find("only a failed or cancelled job can be retried"), std::string::npos) << retried.output;
}

}  // namespace
