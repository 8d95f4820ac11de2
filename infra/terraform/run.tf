# ---- web ----

# SESSION_SECRET signs the flash-message cookie; every instance must share it. (The value is in the Terraform
# state: keep the state in a private backend.)
resource "random_password" "session" {
  length  = 48
  special = false
}

resource "google_secret_manager_secret" "session" {
  project   = var.project
  secret_id = "${local.name}-session-secret"

  replication {
    auto {}
  }

  depends_on = [google_project_service.apis]
}

resource "google_secret_manager_secret_version" "session" {
  secret      = google_secret_manager_secret.session.id
  secret_data = random_password.session.result
}

resource "google_cloud_run_v2_service" "web" {
  project             = var.project
  name                = "${local.name}-web"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_ALL"
  deletion_protection = var.deletion_protection

  template {
    service_account = google_service_account.web.email
    # Each upload may hold its bytes (≤ MAX_UPLOAD_BYTES) and a bounded decode (≤ 8192×8192) in memory:
    # a few at a time per instance, more instances beyond that.
    max_instance_request_concurrency = 8
    timeout                          = "60s"

    scaling {
      min_instance_count = 0 # scales to zero: a cold start costs ~1 s on the first page view
      max_instance_count = var.web_max_instances
    }

    execution_environment = "EXECUTION_ENVIRONMENT_GEN2" # what Google's Prometheus sidecar set-up specifies

    containers {
      name  = "web"
      image = var.web_image

      ports {
        container_port = 8080 # Cloud Run sets PORT itself
      }

      env {
        name  = "UPLOAD_BUCKET"
        value = google_storage_bucket.uploads.name
      }
      env {
        name  = "GOOGLE_CLOUD_PROJECT"
        value = var.project
      }
      env {
        name  = "THUMBNAIL_PREFIX"
        value = var.thumbnail_prefix
      }
      env {
        name  = "THUMBNAIL_SIZE"
        value = tostring(var.thumbnail_size)
      }
      dynamic "env" {
        for_each = local.renditions
        content {
          name  = "RENDITIONS"
          value = env.value
        }
      }
      env {
        name  = "MAX_UPLOAD_BYTES"
        value = tostring(var.max_upload_bytes)
      }
      env {
        name = "SESSION_SECRET"
        value_source {
          secret_key_ref {
            secret  = google_secret_manager_secret.session.secret_id
            version = "latest"
          }
        }
      }

      resources {
        limits = {
          cpu    = "1"
          memory = "2Gi"
        }
        cpu_idle          = true # CPU only while serving requests
        startup_cpu_boost = true
      }

      startup_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 2
        failure_threshold = 15
      }

      liveness_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds = 30
      }
    }

    # The Managed Service for Prometheus collector (monitoring.tf): scrapes this instance's /metrics on 8080. No
    # ports, so the app stays the one ingress container; it starts once the app has passed its startup probe.
    containers {
      name       = local.prometheus_sidecar.name
      image      = var.prometheus_sidecar_image
      depends_on = ["web"]

      resources {
        limits = {
          cpu    = local.prometheus_sidecar.cpu
          memory = local.prometheus_sidecar.memory
        }
        cpu_idle = true # request-based billing like the app (monitoring.tf says why)
      }

      startup_probe {
        tcp_socket {
          port = local.prometheus_sidecar.health_port
        }
        period_seconds    = 2
        failure_threshold = 15
      }

      liveness_probe {
        http_get {
          path = "/liveness"
          port = local.prometheus_sidecar.health_port
        }
        # The collector holds each probe ~5 s: Cloud Run gives a container CPU during its probes, so even a
        # request-billed instance gets a slice every 30 s to scrape and flush.
        period_seconds  = 30
        timeout_seconds = 10
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_secret_manager_secret_version.session,
    google_secret_manager_secret_iam_member.web_session_secret,
    google_project_iam_member.web_metric_writer,
  ]
}

resource "google_cloud_run_v2_service_iam_member" "web_public" {
  count    = var.web_public ? 1 : 0
  project  = var.project
  location = google_cloud_run_v2_service.web.location
  name     = google_cloud_run_v2_service.web.name
  role     = "roles/run.invoker"
  member   = "allUsers"
}

# ---- worker ----
# pull mode: the worker pulls continuously, so it needs CPU outside requests (cpu_idle = false, "instance-based
# billing") and at least one instance (min 1). push mode: Eventarc's requests are the work; it scales to zero.

resource "google_cloud_run_v2_service" "worker" {
  project             = var.project
  name                = "${local.name}-worker"
  location            = var.region
  ingress             = "INGRESS_TRAFFIC_INTERNAL_ONLY" # Eventarc counts as internal; nobody else calls it
  deletion_protection = var.deletion_protection

  template {
    service_account                  = google_service_account.worker.email
    max_instance_request_concurrency = 2 * var.worker_cpu
    timeout                          = "120s"

    scaling {
      min_instance_count = local.pull ? 1 : 0
      max_instance_count = var.worker_max_instances
    }

    execution_environment = "EXECUTION_ENVIRONMENT_GEN2" # what Google's Prometheus sidecar set-up specifies

    containers {
      name  = "worker"
      image = var.worker_image

      ports {
        container_port = 8080
      }

      env {
        name  = "GOOGLE_CLOUD_PROJECT"
        value = var.project
      }
      dynamic "env" {
        for_each = local.pull ? [google_pubsub_subscription.thumbnailer[0].id] : []
        content {
          name  = "PUBSUB_SUBSCRIPTION"
          value = env.value
        }
      }
      env {
        name  = "BUCKETS"
        value = google_storage_bucket.uploads.name
      }
      env {
        name  = "THUMBNAIL_PREFIX"
        value = var.thumbnail_prefix
      }
      dynamic "env" {
        for_each = local.renditions
        content {
          name  = "RENDITIONS"
          value = env.value
        }
      }
      env {
        name  = "THUMBNAIL_SIZE"
        value = tostring(var.thumbnail_size)
      }
      env {
        name  = "MAX_CONCURRENCY"
        value = tostring(2 * var.worker_cpu)
      }
      env {
        name  = "EVENTS_TOPIC"
        value = google_pubsub_topic.events.id
      }

      resources {
        limits = {
          cpu    = tostring(var.worker_cpu)
          memory = "2Gi" # MAX_CONCURRENCY decoded images at once
        }
        cpu_idle          = local.push
        startup_cpu_boost = true
      }

      startup_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds    = 2
        failure_threshold = 15
      }

      liveness_probe {
        http_get {
          path = "/healthz"
        }
        period_seconds = 30
      }
    }

    # The Managed Service for Prometheus collector (monitoring.tf): scrapes this instance's /metrics on 8080. No
    # ports, so the app stays the one ingress container; it starts once the app has passed its startup probe.
    containers {
      name       = local.prometheus_sidecar.name
      image      = var.prometheus_sidecar_image
      depends_on = ["worker"]

      resources {
        limits = {
          cpu    = local.prometheus_sidecar.cpu
          memory = local.prometheus_sidecar.memory
        }
        cpu_idle = local.push # the same billing as the worker: instance-based in pull mode
      }

      startup_probe {
        tcp_socket {
          port = local.prometheus_sidecar.health_port
        }
        period_seconds    = 2
        failure_threshold = 15
      }

      liveness_probe {
        http_get {
          path = "/liveness"
          port = local.prometheus_sidecar.health_port
        }
        # The collector holds each probe ~5 s: Cloud Run gives a container CPU during its probes, so even a
        # request-billed instance gets a slice every 30 s to scrape and flush.
        period_seconds  = 30
        timeout_seconds = 10
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_pubsub_subscription_iam_member.worker,
    google_storage_bucket_iam_member.worker,
    google_project_iam_member.worker_metric_writer,
    google_pubsub_topic_iam_member.worker_publishes_events,
  ]
}

# ---- backfill job: the worker image in job mode, sharded by Cloud Run's CLOUD_RUN_TASK_INDEX/COUNT ----

resource "google_cloud_run_v2_job" "backfill" {
  project             = var.project
  name                = "${local.name}-backfill"
  location            = var.region
  deletion_protection = var.deletion_protection

  template {
    task_count  = var.backfill_task_count
    parallelism = var.backfill_task_count

    template {
      service_account = google_service_account.worker.email
      # A retried task resumes from its checkpoint (under the thumbnail prefix), redoing only what was in flight.
      max_retries = 3
      timeout     = "3600s"

      containers {
        image   = var.worker_image
        command = ["node"]
        args    = ["apps/worker/dist/backfill-main.js"]

        env {
          name  = "UPLOAD_BUCKET"
          value = google_storage_bucket.uploads.name
        }
        env {
          name  = "INPUT_FOLDER"
          value = var.backfill_input_folder == "" ? "gs://${google_storage_bucket.uploads.name}/" : var.backfill_input_folder
        }
        env {
          name  = "GOOGLE_CLOUD_PROJECT"
          value = var.project
        }
        env {
          name  = "BUCKETS"
          value = google_storage_bucket.uploads.name
        }
        env {
          name  = "THUMBNAIL_PREFIX"
          value = var.thumbnail_prefix
        }
        env {
          name  = "THUMBNAIL_SIZE"
          value = tostring(var.thumbnail_size)
        }
        env {
          name  = "MAX_CONCURRENCY"
          value = tostring(2 * var.worker_cpu)
        }
        dynamic "env" {
          for_each = local.renditions
          content {
            name  = "RENDITIONS"
            value = env.value
          }
        }
        env {
          name  = "EVENTS_TOPIC"
          value = google_pubsub_topic.events.id
        }
        env {
          name  = "DRY_RUN"
          value = tostring(var.backfill_dry_run)
        }
        env {
          name  = "MAX_RATE" # empty: unlimited
          value = var.backfill_max_rate > 0 ? tostring(var.backfill_max_rate) : ""
        }
        env {
          name  = "PRUNE"
          value = tostring(var.backfill_prune)
        }

        resources {
          limits = {
            cpu    = tostring(var.worker_cpu)
            memory = "2Gi"
          }
        }
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_storage_bucket_iam_member.worker,
    google_pubsub_topic_iam_member.worker_publishes_events,
  ]
}

# ---- dead-letter replay job (pull mode): the worker image's replay entry point over thumbnailer-dead-letter ----
# A dry run by default (counts per reason, acks and writes nothing):
#   gcloud run jobs execute thumbnailer-replay-dead-letters --region <region> --wait
# then, once the cause is fixed, re-drive them through the pipeline (acks what settled, leaves the rest):
#   gcloud run jobs execute thumbnailer-replay-dead-letters --region <region> --wait --args=--apply

resource "google_cloud_run_v2_job" "replay_dead_letters" {
  count               = local.pull ? 1 : 0
  project             = var.project
  name                = "${local.name}-replay-dead-letters"
  location            = var.region
  deletion_protection = var.deletion_protection

  template {
    task_count  = 1 # one reader: every message is counted once
    parallelism = 1

    template {
      service_account = google_service_account.worker.email
      max_retries     = 0 # what did not settle stays on the subscription; run it again once the cause is fixed
      timeout         = "1800s"

      containers {
        image   = var.worker_image
        command = ["node", "apps/worker/dist/replay-main.js"] # --args replaces the flags only

        env {
          name  = "DEAD_LETTER_SUBSCRIPTION"
          value = google_pubsub_subscription.dead_letter[0].id
        }
        env {
          name  = "GOOGLE_CLOUD_PROJECT"
          value = var.project
        }
        env {
          name  = "BUCKETS"
          value = google_storage_bucket.uploads.name
        }
        env {
          name  = "THUMBNAIL_PREFIX"
          value = var.thumbnail_prefix
        }
        env {
          name  = "THUMBNAIL_SIZE"
          value = tostring(var.thumbnail_size)
        }
        env {
          name  = "MAX_CONCURRENCY"
          value = tostring(2 * var.worker_cpu)
        }
        dynamic "env" {
          for_each = local.renditions
          content {
            name  = "RENDITIONS"
            value = env.value
          }
        }
        env {
          name  = "EVENTS_TOPIC"
          value = google_pubsub_topic.events.id
        }

        resources {
          limits = {
            cpu    = tostring(var.worker_cpu)
            memory = "2Gi"
          }
        }
      }
    }
  }

  depends_on = [
    google_project_service.apis,
    google_storage_bucket_iam_member.worker,
    google_pubsub_subscription_iam_member.worker_replays_dead_letters,
    google_pubsub_topic_iam_member.worker_publishes_events,
  ]
}
