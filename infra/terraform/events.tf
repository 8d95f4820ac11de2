# The events topic: the worker (service, backfill and replay jobs) publishes one CloudEvent per settled source
# generation here — dev.thumbnailer.renditions.v1.ready, .failed or .removed — in both delivery modes (EVENTS_TOPIC).
# Consumers bring their own subscription (../README.md, Events); a topic nobody subscribes to drops what it gets.
# Only the worker's account may publish to it (iam.tf).

resource "google_pubsub_topic" "events" {
  project = var.project
  name    = "${local.name}-events"

  depends_on = [google_project_service.apis]
}
