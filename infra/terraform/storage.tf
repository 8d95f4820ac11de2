# The upload bucket: private (uniform access, public access prevention); the web app serves thumbnails itself.
resource "google_storage_bucket" "uploads" {
  project                     = var.project
  name                        = var.bucket_name
  location                    = upper(var.region)
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  # Earlier releases left one claim marker per image under <thumbnail_prefix>.claims/; nothing writes there any
  # more. This rule deletes what is left (a day after creation), so nothing stays behind without a lifecycle.
  lifecycle_rule {
    condition {
      age            = 1
      matches_prefix = ["${var.thumbnail_prefix}.claims/"]
    }
    action {
      type = "Delete"
    }
  }

  # The backfill job's shard plans and checkpoints (<thumbnail_prefix>.backfill/<execution>/…): a retried task resumes
  # from them within its execution; a week later nothing is left behind.
  lifecycle_rule {
    condition {
      age            = 7
      matches_prefix = ["${var.thumbnail_prefix}.backfill/"]
    }
    action {
      type = "Delete"
    }
  }

  depends_on = [google_project_service.apis]
}

# ---- pull mode: bucket notification → topic → pull subscription (with a dead-letter topic) ----

resource "google_pubsub_topic" "notifications" {
  count   = local.pull ? 1 : 0
  project = var.project
  name    = "gcs-notifications"

  depends_on = [google_project_service.apis]
}

# Only the Cloud Storage service agent may publish to the notification topic (no project-wide role).
resource "google_pubsub_topic_iam_member" "gcs_publishes_notifications" {
  count   = local.pull ? 1 : 0
  project = var.project
  topic   = google_pubsub_topic.notifications[0].name
  role    = "roles/pubsub.publisher"
  member  = local.gcs_service_agent
}

resource "google_storage_notification" "objects" {
  count          = local.pull ? 1 : 0
  bucket         = google_storage_bucket.uploads.name
  topic          = google_pubsub_topic.notifications[0].id
  payload_format = "JSON_API_V1"
  # Finalize makes renditions; delete (also of an overwritten generation, or by a lifecycle rule) removes them.
  event_types = ["OBJECT_FINALIZE", "OBJECT_DELETE"]

  depends_on = [google_pubsub_topic_iam_member.gcs_publishes_notifications]
}

moved {
  from = google_storage_notification.finalize
  to   = google_storage_notification.objects
}

resource "google_pubsub_topic" "dead_letter" {
  count   = local.pull ? 1 : 0
  project = var.project
  name    = "gcs-notifications-dead-letter"

  depends_on = [google_project_service.apis]
}

resource "google_pubsub_subscription" "thumbnailer" {
  count   = local.pull ? 1 : 0
  project = var.project
  name    = local.name
  topic   = google_pubsub_topic.notifications[0].id

  ack_deadline_seconds = local.ack_deadline_seconds
  # The worker's own outputs never reach it: Pub/Sub acks their notifications (the worker would only skip them).
  filter                     = format("NOT hasPrefix(attributes.objectId, %q)", var.thumbnail_prefix)
  message_retention_duration = "604800s" # 7 days: a stopped worker catches up within a week
  retain_acked_messages      = false
  enable_message_ordering    = false

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.dead_letter[0].id
    max_delivery_attempts = local.max_delivery_attempts
  }

  expiration_policy {
    ttl = "" # never expires, even when the worker is idle for a long time
  }
}

# Keeps what was dead-lettered readable (a topic without a subscription drops messages).
resource "google_pubsub_subscription" "dead_letter" {
  count                      = local.pull ? 1 : 0
  project                    = var.project
  name                       = "${local.name}-dead-letter"
  topic                      = google_pubsub_topic.dead_letter[0].id
  message_retention_duration = "604800s"

  expiration_policy {
    ttl = ""
  }
}

# Dead lettering is done by the Pub/Sub service agent: it must publish to the dead-letter topic and
# acknowledge (subscriber) on the source subscription.
resource "google_pubsub_topic_iam_member" "pubsub_agent_dead_letters" {
  count   = local.pull ? 1 : 0
  project = var.project
  topic   = google_pubsub_topic.dead_letter[0].name
  role    = "roles/pubsub.publisher"
  member  = local.pubsub_service_agent
}

resource "google_pubsub_subscription_iam_member" "pubsub_agent_forwards" {
  count        = local.pull ? 1 : 0
  project      = var.project
  subscription = google_pubsub_subscription.thumbnailer[0].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}
