variable "project" {
  description = "Google Cloud project id to deploy into."
  type        = string
}

variable "region" {
  description = "Region for Cloud Run, the Eventarc trigger and the bucket (a single region keeps storage and compute together)."
  type        = string
  default     = "europe-west1"
}

variable "bucket_name" {
  description = "Globally unique name of the upload bucket (originals and thumbnails/)."
  type        = string
}

variable "web_image" {
  description = "Container image of the web app, built from apps/web/Dockerfile and pushed to Artifact Registry."
  type        = string
}

variable "worker_image" {
  description = "Container image of the worker, built from apps/worker/Dockerfile; the backfill job runs it too."
  type        = string
}

variable "delivery_mode" {
  description = "How the worker hears about new objects: \"pull\" (bucket notification → Pub/Sub topic → pull subscription; one always-on instance) or \"push\" (Eventarc CloudEvents to POST /event; scales to zero)."
  type        = string
  default     = "pull"

  validation {
    condition     = contains(["pull", "push"], var.delivery_mode)
    error_message = "delivery_mode must be \"pull\" or \"push\"."
  }
}

variable "web_public" {
  description = "Whether anyone on the internet may open the upload page (roles/run.invoker for allUsers). When false, callers need run.invoker and an identity token (or IAP in front)."
  type        = bool
  default     = false
}

variable "thumbnail_prefix" {
  description = "Folder for thumbnails inside the bucket (THUMBNAIL_PREFIX); objects under it are never processed."
  type        = string
  default     = "thumbnails/"
}

variable "thumbnail_size" {
  description = "Box edge in pixels of the default rendition (THUMBNAIL_SIZE), when renditions is empty."
  type        = number
  default     = 100
}

variable "renditions" {
  description = "RENDITIONS for web, worker and backfill alike, e.g. \"thumb:100x100,card:400x300:cover:webp\"; empty: the single default thumbnail."
  type        = string
  default     = ""
}

variable "max_upload_bytes" {
  description = "Largest accepted upload (MAX_UPLOAD_BYTES); Cloud Run's own request limit is 32 MiB."
  type        = number
  default     = 20971520
}

variable "worker_cpu" {
  description = "vCPUs per worker instance; MAX_CONCURRENCY is twice this."
  type        = number
  default     = 1
}

variable "worker_max_instances" {
  description = "Upper bound on worker instances (cost ceiling)."
  type        = number
  default     = 3
}

variable "web_max_instances" {
  description = "Upper bound on web instances (cost ceiling)."
  type        = number
  default     = 3
}

variable "backfill_task_count" {
  description = "Tasks per backfill job execution; each takes its shard (CLOUD_RUN_TASK_INDEX of CLOUD_RUN_TASK_COUNT)."
  type        = number
  default     = 4
}

variable "backfill_input_folder" {
  description = "INPUT_FOLDER of the backfill job; empty means the whole bucket. Override per execution with gcloud run jobs execute --update-env-vars."
  type        = string
  default     = ""
}

variable "backfill_dry_run" {
  description = "DRY_RUN of the backfill job: list and check, write nothing, log what a run would do and cost. For one execution: gcloud run jobs execute <name>-backfill --update-env-vars DRY_RUN=true."
  type        = bool
  default     = false
}

variable "backfill_max_rate" {
  description = "MAX_RATE of the backfill job: images per second each task starts at most; 0 means unlimited."
  type        = number
  default     = 0

  validation {
    condition     = var.backfill_max_rate >= 0
    error_message = "backfill_max_rate must be 0 (unlimited) or a positive number of images per second."
  }
}

variable "backfill_prune" {
  description = "PRUNE of the backfill job: also delete renditions whose spec is no longer in RENDITIONS (under the thumbnail prefix only)."
  type        = bool
  default     = false
}

variable "deletion_protection" {
  description = "Protect the Cloud Run services and job from terraform destroy."
  type        = bool
  default     = true
}

variable "prometheus_sidecar_image" {
  description = "Google's Managed Service for Prometheus collector for Cloud Run, run beside web and worker; pinned to a release (or a digest), never latest."
  type        = string
  default     = "us-docker.pkg.dev/cloud-ops-agents-artifacts/cloud-run-gmp-sidecar/cloud-run-gmp-sidecar:1.7.0"
}

variable "alert_notification_channels" {
  description = "Cloud Monitoring notification channel ids (projects/<project>/notificationChannels/<id>) told about every alert; empty: the alerts open incidents in the console and notify nobody."
  type        = list(string)
  default     = []
}

variable "alert_oldest_unacked_seconds" {
  description = "Alert when the oldest unacknowledged notification on the worker's subscription is older than this many seconds."
  type        = number
  default     = 900
}

variable "alert_latency_p95_seconds" {
  description = "Alert when the 95th percentile of finalized → renditions written stays above this many seconds."
  type        = number
  default     = 60
}

variable "alert_error_ratio" {
  description = "Alert when more than this share of the worker's events end in retry or error (0.05 = 5 %)."
  type        = number
  default     = 0.05

  validation {
    condition     = var.alert_error_ratio > 0 && var.alert_error_ratio < 1
    error_message = "alert_error_ratio must be between 0 and 1."
  }
}
