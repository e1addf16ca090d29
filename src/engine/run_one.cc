#include "engine/run_one.h"

#include "core/masker.h"
#include "engine/job_runner.h"
#include "engine/run_setup.h"

namespace gantry::engine {

JobReport RunOneJob(const Plan& plan, const RunOptions& options, const OneJob& job,
                    backend::Backend& backend, RunObserver& observer) {
  const PlannedJob* planned = plan.Find(job.job_id);
  if (planned == nullptr) {
    JobReport report;
    report.key =
        JobKey{job.job_id, job.instance, job.display_name.empty() ? job.job_id : job.display_name};
    report.conclusion = Conclusion::kFailure;
    report.error = "job '" + job.job_id + "' is not in the workflow '" +
                   (plan.workflow ? plan.workflow->file : std::string()) + "'";
    observer.OnJobFinished(report);
    return report;
  }
  core::Masker local_masker;
  std::unique_ptr<RunSetup> setup = PrepareRun(plan, options, backend, observer, &local_masker);
  // One instance at a time uses options.run_dir: the first file-command slot is its own.
  JobInstance instance = MakeJobInstance(*setup, *planned, job, 0);
  backend::CancelToken never_cancelled;
  return RunJob(instance, setup->shared,
                options.cancel != nullptr ? *options.cancel : never_cancelled);
}

}  // namespace gantry::engine
