# thumbnailer on Google Cloud: a private bucket, Cloud Storage → Pub/Sub notifications (pull mode) or Eventarc
# (push mode), Cloud Run services for web and worker, and a Cloud Run job for backfills.
# Walkthrough and cost notes: ../README.md.

locals {
  name = "thumbnailer"
  pull = var.delivery_mode == "pull"
  push = var.delivery_mode == "push"

  # Pub/Sub must be able to retry for longer than one image can take: the worker bounds an image at 20 s,
  # and with MAX_CONCURRENCY images in flight a message may wait for a slot, so 60 s (the client extends leases).
  # RENDITIONS on every app that reads it, only when set (unset means the default single thumbnail).
  renditions = var.renditions == "" ? [] : [var.renditions]

  ack_deadline_seconds  = 60
  max_delivery_attempts = 10

  apis = toset(concat(
    [
      "run.googleapis.com",
      "storage.googleapis.com",
      "pubsub.googleapis.com",
      "iam.googleapis.com",
      "secretmanager.googleapis.com",
      "monitoring.googleapis.com", # the Prometheus sidecars write here; dashboard and alert policies
    ],
    local.push ? ["eventarc.googleapis.com"] : [],
  ))
}

data "google_project" "this" {
  project_id = var.project
}

resource "google_project_service" "apis" {
  for_each           = local.apis
  project            = var.project
  service            = each.value
  disable_on_destroy = false
}

# The Google-managed identities that act on our behalf.
data "google_storage_project_service_account" "gcs" {
  project    = var.project
  depends_on = [google_project_service.apis]
}

locals {
  pubsub_service_agent = "serviceAccount:service-${data.google_project.this.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
  gcs_service_agent    = "serviceAccount:${data.google_storage_project_service_account.gcs.email_address}"
}
