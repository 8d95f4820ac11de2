output "web_url" {
  description = "The upload page."
  value       = google_cloud_run_v2_service.web.uri
}

output "worker_url" {
  description = "The worker's URL (internal ingress: reachable by Eventarc and from inside the project only)."
  value       = google_cloud_run_v2_service.worker.uri
}

output "bucket" {
  description = "The upload bucket; thumbnails are written under thumbnail_prefix in it."
  value       = google_storage_bucket.uploads.name
}

output "topic" {
  description = "The bucket's notification topic (pull mode; null in push mode, where Eventarc owns the topic)."
  value       = local.pull ? google_pubsub_topic.notifications[0].id : null
}

output "subscription" {
  description = "The worker's pull subscription (pull mode; null in push mode)."
  value       = local.pull ? google_pubsub_subscription.thumbnailer[0].id : null
}

output "dead_letter_subscription" {
  description = "Where notifications that failed max_delivery_attempts times wait for inspection (pull mode)."
  value       = local.pull ? google_pubsub_subscription.dead_letter[0].id : null
}

output "events_topic" {
  description = "Where the worker publishes ready / failed / removed CloudEvents (EVENTS_TOPIC); subscribe to it to hear of them."
  value       = google_pubsub_topic.events.id
}

output "replay_dead_letters_job" {
  description = "Pull mode: gcloud run jobs execute <name> --region <region> --wait [--args=--apply] (a dry run without --apply)."
  value       = local.pull ? google_cloud_run_v2_job.replay_dead_letters[0].name : null
}

output "eventarc_trigger" {
  description = "The Eventarc trigger (push mode; null in pull mode)."
  value       = local.push ? google_eventarc_trigger.finalized[0].id : null
}

output "backfill_job" {
  description = "Run with: gcloud run jobs execute <name> --region <region> [--update-env-vars INPUT_FOLDER=gs://…/]"
  value       = google_cloud_run_v2_job.backfill.name
}

output "dashboard_url" {
  description = "The Cloud Monitoring dashboard (Operating it, ../README.md)."
  value       = "https://console.cloud.google.com/monitoring/dashboards/builder/${element(split("/", google_monitoring_dashboard.thumbnailer.id), 3)}?project=${var.project}"
}
