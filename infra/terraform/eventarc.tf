# push mode: Eventarc delivers google.cloud.storage.object.v1.finalized CloudEvents (renditions are made) and
# google.cloud.storage.object.v1.deleted ones (a gone generation's renditions are removed) to the worker's POST /event.
# Eventarc creates and owns the Pub/Sub topic and push subscription behind each trigger.
#
# Project-wide roles, and why they are unavoidable here (push mode only):
# - the Cloud Storage service agent gets roles/pubsub.publisher on the project: Eventarc's Cloud Storage triggers
#   publish through a topic Eventarc creates, and Eventarc requires this grant before it creates the trigger;
# - the trigger's own service account gets roles/eventarc.eventReceiver on the project: Eventarc checks it on the
#   identity of every trigger that receives events from Google sources (the role has no resource-level binding).
# The trigger's account may invoke the worker service and nothing else; the worker allows no public invocation.
# (Projects created before April 2021 also need roles/iam.serviceAccountTokenCreator for the Pub/Sub service agent;
# grant it by hand there: it is a one-off for old projects, not something every deployment should hold.)

resource "google_service_account" "eventarc" {
  count        = local.push ? 1 : 0
  project      = var.project
  account_id   = "${local.name}-events"
  display_name = "thumbnailer Eventarc trigger (invokes the worker)"

  depends_on = [google_project_service.apis] # on a new project the IAM API may still be off
}

resource "google_project_iam_member" "gcs_agent_publishes" {
  count   = local.push ? 1 : 0
  project = var.project
  role    = "roles/pubsub.publisher"
  member  = local.gcs_service_agent
}

resource "google_project_iam_member" "eventarc_receiver" {
  count   = local.push ? 1 : 0
  project = var.project
  role    = "roles/eventarc.eventReceiver"
  member  = google_service_account.eventarc[0].member
}

resource "google_cloud_run_v2_service_iam_member" "eventarc_invokes_worker" {
  count    = local.push ? 1 : 0
  project  = var.project
  location = google_cloud_run_v2_service.worker.location
  name     = google_cloud_run_v2_service.worker.name
  role     = "roles/run.invoker"
  member   = google_service_account.eventarc[0].member
}

resource "google_eventarc_trigger" "finalized" {
  count           = local.push ? 1 : 0
  project         = var.project
  name            = "${local.name}-finalized"
  location        = var.region # a Cloud Storage trigger lives in its bucket's region
  service_account = google_service_account.eventarc[0].email

  matching_criteria {
    attribute = "type"
    value     = "google.cloud.storage.object.v1.finalized"
  }
  matching_criteria {
    attribute = "bucket"
    value     = google_storage_bucket.uploads.name
  }

  destination {
    cloud_run_service {
      service = google_cloud_run_v2_service.worker.name
      region  = var.region
      path    = "/event"
    }
  }

  depends_on = [
    google_project_service.apis,
    google_project_iam_member.gcs_agent_publishes,
    google_project_iam_member.eventarc_receiver,
    google_cloud_run_v2_service_iam_member.eventarc_invokes_worker,
  ]
}

resource "google_eventarc_trigger" "deleted" {
  count           = local.push ? 1 : 0
  project         = var.project
  name            = "${local.name}-deleted"
  location        = var.region
  service_account = google_service_account.eventarc[0].email

  matching_criteria {
    attribute = "type"
    value     = "google.cloud.storage.object.v1.deleted"
  }
  matching_criteria {
    attribute = "bucket"
    value     = google_storage_bucket.uploads.name
  }

  destination {
    cloud_run_service {
      service = google_cloud_run_v2_service.worker.name
      region  = var.region
      path    = "/event"
    }
  }

  depends_on = [
    google_project_service.apis,
    google_project_iam_member.gcs_agent_publishes,
    google_project_iam_member.eventarc_receiver,
    google_cloud_run_v2_service_iam_member.eventarc_invokes_worker,
  ]
}
