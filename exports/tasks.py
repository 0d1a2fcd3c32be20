from celery import shared_task

from exports import services


@shared_task(name="exports.tasks.run_export", ignore_result=True)
def run_export(job_id: int) -> str:
    """Build one export's file. Claims the job first, so running twice builds it once."""
    return services.export_run(job_id)


@shared_task(name="exports.tasks.sweep_exports", ignore_result=True)
def sweep_exports() -> dict[str, int]:
    """Expire finished exports, settle those a worker lost (beat; see settings)."""
    return services.exports_sweep()
