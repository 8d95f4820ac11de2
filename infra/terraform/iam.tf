# One service account per role, each with only what it uses. No project-wide role is granted except the two that
# Eventarc's Cloud Storage triggers require (push mode only, see eventarc.tf) and the metric writer the Prometheus
# sidecars need (below).

resource "google_service_account" "web" {
  project      = var.project
  account_id   = "${local.name}-web"
  display_name = "thumbnailer web (uploads originals, reads thumbnails)"

  depends_on = [google_project_service.apis] # on a new project the IAM API may still be off
}

resource "google_service_account" "worker" {
  project      = var.project
  account_id   = "${local.name}-worker"
  display_name = "thumbnailer worker, backfill and replay jobs (reads originals, writes thumbnails)"

  depends_on = [google_project_service.apis] # on a new project the IAM API may still be off
}

# web: create-only writes of originals and reads of thumbnails. objectCreator cannot overwrite or delete
# (an overwrite needs storage.objects.delete), which is what the create-only upload expects.
resource "google_storage_bucket_iam_member" "web" {
  for_each = toset(["roles/storage.objectCreator", "roles/storage.objectViewer"])
  bucket   = google_storage_bucket.uploads.name
  role     = each.value
  member   = google_service_account.web.member
}

# worker: read (and list, for backfill) originals, create thumbnails.
resource "google_storage_bucket_iam_member" "worker" {
  for_each = toset(["roles/storage.objectViewer", "roles/storage.objectCreator"])
  bucket   = google_storage_bucket.uploads.name
  role     = each.value
  member   = google_service_account.worker.member
}

# worker: delete under the thumbnail prefix only — the renditions of a source generation that is gone (and the
# backfill's checkpoints and retired renditions). No predefined role holds delete alone, hence a custom role, and an
# IAM condition confines it to the prefix: originals can never be deleted or overwritten by the worker.
resource "google_project_iam_custom_role" "rendition_deleter" {
  project     = var.project
  role_id     = "thumbnailerRenditionDeleter"
  title       = "thumbnailer rendition deleter"
  description = "Deletes objects; bound on the upload bucket with a condition on the thumbnail prefix."
  permissions = ["storage.objects.delete"]

  depends_on = [google_project_service.apis]
}

resource "google_storage_bucket_iam_member" "worker_deletes_renditions" {
  bucket = google_storage_bucket.uploads.name
  role   = google_project_iam_custom_role.rendition_deleter.name
  member = google_service_account.worker.member

  condition {
    title       = "under-thumbnail-prefix"
    description = "Only objects under the thumbnail prefix"
    expression  = "resource.name.startsWith(\"projects/_/buckets/${google_storage_bucket.uploads.name}/objects/${var.thumbnail_prefix}\")"
  }
}

# worker: pull from its own subscription only.
resource "google_pubsub_subscription_iam_member" "worker" {
  count        = local.pull ? 1 : 0
  project      = var.project
  subscription = google_pubsub_subscription.thumbnailer[0].name
  role         = "roles/pubsub.subscriber"
  member       = google_service_account.worker.member
}

# worker (and its jobs): publish ready / failed / removed events, to the events topic only.
resource "google_pubsub_topic_iam_member" "worker_publishes_events" {
  project = var.project
  topic   = google_pubsub_topic.events.name
  role    = "roles/pubsub.publisher"
  member  = google_service_account.worker.member
}

# worker (the replay job): read and acknowledge the dead-letter subscription only (pull mode).
resource "google_pubsub_subscription_iam_member" "worker_replays_dead_letters" {
  count        = local.pull ? 1 : 0
  project      = var.project
  subscription = google_pubsub_subscription.dead_letter[0].name
  role         = "roles/pubsub.subscriber"
  member       = google_service_account.worker.member
}

# web: read its cookie-signing secret.
resource "google_secret_manager_secret_iam_member" "web_session_secret" {
  project   = var.project
  secret_id = google_secret_manager_secret.session.secret_id
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.web.member
}

# web and worker: their Prometheus sidecars (monitoring.tf) write time series to Cloud Monitoring. The role writes
# time series and their descriptors and reads no metric data; it has no binding narrower than the project (metrics
# belong to the project, not to a resource).
resource "google_project_iam_member" "web_metric_writer" {
  project = var.project
  role    = "roles/monitoring.metricWriter"
  member  = google_service_account.web.member
}

resource "google_project_iam_member" "worker_metric_writer" {
  project = var.project
  role    = "roles/monitoring.metricWriter"
  member  = google_service_account.worker.member
}
