# Metrics, a dashboard and alerts. Walkthrough: "Operating it" in ../README.md.
#
# Collection: Google's Managed Service for Prometheus sidecar for Cloud Run runs beside web and worker (the second
# `containers` block of each service in run.tf). With no RunMonitoring config mounted it uses its default: scrape
# 0.0.0.0:8080/metrics every 30 s, the port Cloud Run gives the app, and write the samples to Cloud Monitoring as
# prometheus.googleapis.com/<name>/<counter|gauge|histogram>, on the prometheus_target resource with
# namespace = the Cloud Run service, plus revision and instance labels. It scrapes 10 s after start and once more on
# shutdown, however short the instance's life. PromQL names the metrics as the apps do (thumbnailer_…).
#
# Billing, decided per service:
# - worker, pull mode: instance-based already (a pull subscriber works outside requests), so the sidecar is always
#   able to scrape. Its cost is its own CPU and memory, billed all month on the always-on instance.
# - worker, push mode, and web: request-based, as before. Google recommends instance-based billing with the sidecar
#   because a throttled sidecar misses scrapes between requests; here that costs little: counters and histograms
#   are cumulative, so a missed scrape only coarsens the next point (rate() and increase() stay right), the
#   shutdown scrape catches the last increments, and the sidecar's 30 s liveness probe (run.tf) lends it CPU.
#   The gauges (in flight, upload slots) are only sampled while the instance has CPU, which is when they are
#   non-zero. Instance-based billing would instead bill every instance for its whole life, up to 15 idle minutes
#   after its last request: several times the request time of a page with occasional uploads.
# Sidecar size: 1 vCPU and 512 MiB, the per-container defaults of Cloud Run that Google's own examples run the
# collector with. The instance is billed for the sum of its containers.

locals {
  prometheus_sidecar = {
    name        = "collector"
    health_port = 13133 # the collector's own /liveness endpoint (its default)
    cpu         = "1"
    memory      = "512Mi"
  }

  # The subscription the worker is fed from: ours in pull mode, the one Eventarc made for the trigger in push mode.
  worker_subscription = (local.pull
    ? google_pubsub_subscription.thumbnailer[0].name
    : element(split("/", google_eventarc_trigger.finalized[0].transport[0].pubsub[0].subscription), 3)
  )
  dead_letter_subscription = local.pull ? google_pubsub_subscription.dead_letter[0].name : ""

  # PromQL label matchers: the sidecar puts the Cloud Run service's name in `namespace`.
  worker_series              = "namespace=\"${google_cloud_run_v2_service.worker.name}\""
  worker_subscription_series = "monitored_resource=\"pubsub_subscription\", subscription_id=\"${local.worker_subscription}\""

  alert_labels = { app = local.name }
}

resource "google_monitoring_dashboard" "thumbnailer" {
  project = var.project
  dashboard_json = templatefile("${path.module}/monitoring/dashboard.json.tftpl", {
    web_service              = google_cloud_run_v2_service.web.name
    worker_service           = google_cloud_run_v2_service.worker.name
    subscription             = local.worker_subscription
    dead_letter_subscription = local.dead_letter_subscription
  })

  depends_on = [google_project_service.apis]
}

# ---- alerts -------------------------------------------------------------------------------------------------
# Pub/Sub's metrics arrive every 60 s (a few minutes late); the apps' every 30 s. The app-metric conditions skip
# metric validation: on a first apply the metrics do not exist until the sidecars have written them.

resource "google_monitoring_alert_policy" "dead_letters" {
  count                 = local.pull ? 1 : 0
  project               = var.project
  display_name          = "thumbnailer: notifications dead-lettered"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.alert_notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "${google_pubsub_subscription.dead_letter[0].name} holds messages"
    condition_prometheus_query_language {
      query               = "max(pubsub_googleapis_com:subscription_num_undelivered_messages{monitored_resource=\"pubsub_subscription\", subscription_id=\"${local.dead_letter_subscription}\"}) > 0"
      duration            = "60s"
      evaluation_interval = "60s"
      rule_group          = local.name
      alert_rule          = "DeadLetters"
    }
  }

  documentation {
    subject   = "thumbnailer: notifications were dead-lettered"
    mime_type = "text/markdown"
    content   = <<-EOT
      Notifications failed ${local.max_delivery_attempts} deliveries to the worker and were moved to the dead-letter
      subscription `${google_pubsub_subscription.dead_letter[0].name}`. Their images have no thumbnails yet. Nothing is
      lost: they wait there for 7 days.

      What to do:
      1. See what they are: `gcloud run jobs execute ${google_cloud_run_v2_job.replay_dead_letters[0].name} --region ${var.region} --wait`
         (a dry run: it acks and writes nothing, and logs one line per message and a `replay summary` with the counts
         per reason: renditions missing, source gone, skipped, unusable event, failing now).
      2. Find out why: the worker logs one line per delivery, a warning `event to be retried: <reason>` with the
         object. In Logs Explorer: `resource.labels.service_name="${google_cloud_run_v2_service.worker.name}" severity>=WARNING`.
         A `storage_forbidden` reason means IAM: the worker's service account needs `roles/storage.objectViewer`
         and `roles/storage.objectCreator` on the bucket (Terraform grants them; check nobody removed them).
         `storage_unavailable` means Cloud Storage timed out or failed; `internal` is a bug: report it with the log line.
      3. Once the cause is fixed, replay: the same job with `--args=--apply` re-drives each message through the
         pipeline, acks what settled (it writes only what is missing) and leaves what still fails for a later run
         (the execution then fails). The incident closes when the dead-letter subscription is empty.
    EOT
  }

  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "oldest_unacked" {
  project               = var.project
  display_name          = "thumbnailer: notifications waiting too long"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.alert_notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "Oldest unacknowledged notification older than ${var.alert_oldest_unacked_seconds} s"
    condition_prometheus_query_language {
      query               = "max(pubsub_googleapis_com:subscription_oldest_unacked_message_age{${local.worker_subscription_series}}) > ${var.alert_oldest_unacked_seconds}"
      duration            = "300s"
      evaluation_interval = "60s"
      rule_group          = local.name
      alert_rule          = "OldestUnacked"
    }
  }

  documentation {
    subject   = "thumbnailer: a notification has waited more than ${var.alert_oldest_unacked_seconds} s"
    mime_type = "text/markdown"
    content   = <<-EOT
      The oldest notification on `${local.worker_subscription}` has not been acknowledged for more than
      ${var.alert_oldest_unacked_seconds} s: uploads are waiting for thumbnails. Either the worker is not keeping up
      (a large backlog, every instance busy) or it keeps failing on some objects and Pub/Sub is retrying them.

      What to do:
      1. Dashboard "thumbnailer": is the backlog growing, and are images processed at all? Many `retry` or `error`
         outcomes mean failures (see the error-rate alert); steady `processed` with a growing backlog means capacity.
      2. Capacity: raise `worker_max_instances` (or `worker_cpu`, which also raises MAX_CONCURRENCY) and apply.
      3. Failures: the worker's warnings say why, one line per delivery: in Logs Explorer
         `resource.labels.service_name="${google_cloud_run_v2_service.worker.name}" severity>=WARNING`.
         `storage_forbidden` is IAM (the worker's service account on the bucket), `storage_unavailable` is Cloud
         Storage. In pull mode a message that keeps failing is dead-lettered after ${local.max_delivery_attempts}
         attempts; in push mode Eventarc retries it for up to 24 hours, then drops it: run the backfill job over
         its folder once the cause is fixed.
      4. No instance running at all (pull mode needs one): check the service's revisions and its start-up logs.
    EOT
  }

  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "latency" {
  project               = var.project
  display_name          = "thumbnailer: thumbnails slow to appear"
  combiner              = "OR"
  severity              = "WARNING"
  notification_channels = var.alert_notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "p95 finalized → renditions written above ${var.alert_latency_p95_seconds} s for 15 minutes"
    condition_prometheus_query_language {
      query                     = "histogram_quantile(0.95, sum by (le) (rate(thumbnailer_worker_latency_seconds_bucket{${local.worker_series}}[10m]))) > ${var.alert_latency_p95_seconds}"
      duration                  = "900s"
      evaluation_interval       = "60s"
      rule_group                = local.name
      alert_rule                = "LatencyP95"
      disable_metric_validation = true
    }
  }

  documentation {
    subject   = "thumbnailer: p95 latency above ${var.alert_latency_p95_seconds} s"
    mime_type = "text/markdown"
    content   = <<-EOT
      For 15 minutes, one image in twenty took more than ${var.alert_latency_p95_seconds} s from its upload being
      finalized to its renditions being written. A short burst of uploads does this legitimately while the
      backlog drains; a sustained one means the worker is short of capacity or slowed by something.

      What to do:
      1. Dashboard "thumbnailer": compare "Render time" with "Latency". Render time high: large images, or too few
         CPUs per image; raise `worker_cpu`. Render time normal but latency high: images wait, in Pub/Sub or for a
         slot (in-flight at its ceiling of MAX_CONCURRENCY per instance); raise `worker_max_instances`.
      2. Retries add their back-off (10 s to 10 min) to the latency: if the error-rate alert is open too, fix that first.
      3. Slow Cloud Storage shows as warnings in the worker's logs
         (`resource.labels.service_name="${google_cloud_run_v2_service.worker.name}" severity>=WARNING`).
    EOT
  }

  depends_on = [google_project_service.apis]
}

resource "google_monitoring_alert_policy" "error_rate" {
  project               = var.project
  display_name          = "thumbnailer: worker failing"
  combiner              = "OR"
  severity              = "ERROR"
  notification_channels = var.alert_notification_channels
  user_labels           = local.alert_labels

  conditions {
    display_name = "More than ${var.alert_error_ratio * 100} % of events end in retry or error, for 15 minutes"
    condition_prometheus_query_language {
      query                     = <<-EOT
        (
          sum(rate(thumbnailer_worker_events_total{${local.worker_series}, outcome=~"retry|error"}[10m]))
            / sum(rate(thumbnailer_worker_events_total{${local.worker_series}}[10m]))
        ) > ${var.alert_error_ratio}
        and sum(increase(thumbnailer_worker_events_total{${local.worker_series}}[10m])) >= 10
      EOT
      duration                  = "900s"
      evaluation_interval       = "60s"
      rule_group                = local.name
      alert_rule                = "WorkerErrorRate"
      disable_metric_validation = true
    }
  }

  documentation {
    subject   = "thumbnailer: worker events failing"
    mime_type = "text/markdown"
    content   = <<-EOT
      For 15 minutes, more than ${var.alert_error_ratio * 100} % of the worker's events (at least 10 in 10 minutes)
      ended in `retry` (a transient failure: redelivered later) or `error` (an unusable event: refused once).
      Nothing is lost yet: retried notifications come back, with back-off, until they are dead-lettered.

      What to do:
      1. Read why, one warning per event: in Logs Explorer
         `resource.labels.service_name="${google_cloud_run_v2_service.worker.name}" severity>=WARNING`; the message
         says `event to be retried: <reason>` or `event refused: <reason>`, with the object.
      2. `storage_forbidden`: IAM. The worker's service account `${google_service_account.worker.email}` needs
         `roles/storage.objectViewer` and `roles/storage.objectCreator` on the bucket (and `roles/pubsub.subscriber`
         on its subscription in pull mode); `terraform plan` shows anything removed by hand.
      3. `storage_unavailable`: Cloud Storage failed or timed out; check the Google Cloud status page. It clears on
         its own; retries catch up.
      4. `error` outcomes: something publishes events the worker cannot read (a foreign notification config, a
         hand-made push subscription). `internal`: a bug; report it with the log line.
      5. Once fixed, dead-lettered notifications need a replay: see the dead-letter alert.
    EOT
  }

  depends_on = [google_project_service.apis]
}
